import assert from "node:assert/strict";
import { Configuration, FrontendApi, ResponseError } from "@ory/client-fetch";
import { CookieJar, csrfOf, form, jsonBody } from "./http.ts";
import type { TestServer } from "./server.ts";

export { CookieJar, csrfOf, form, jsonBody };

export const PASSWORD = "Tessera-correct-horse-7421";
export const HOUR = 60 * 60 * 1000;

export { serverFor as server } from "./server.ts";

/**
 * The official SDK against the public listener; `jar` makes browser flows carry cookies. Like an SPA
 * set up per Ory's docs, it sends `Accept: application/json` (the generated client sends no Accept
 * header, and without one Kratos answers browser-flow inits with a redirect).
 */
export function frontend(s: TestServer, jar = new CookieJar()): FrontendApi {
  return new FrontendApi(
    new Configuration({
      basePath: s.publicUrl.replace(/\/$/, ""),
      fetchApi: jar.fetch,
      headers: { Accept: "application/json" },
    }),
  );
}

/** The JSON body of an SDK error (the SDK throws ResponseError on every non-2xx). */
export async function sdkError(promise: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ResponseError) {
      const text = await err.response.text();
      return { status: err.response.status, body: text ? JSON.parse(text) : undefined };
    }
    throw err;
  }
  assert.fail("expected the SDK call to fail");
}

export function url(s: TestServer, path: string): string {
  return new URL(path.replace(/^\//, ""), s.publicUrl).toString();
}

export const JSON_ACCEPT = { accept: "application/json" } as const;

export interface Traits {
  email: string;
  name: { first: string; last: string };
}

export function traits(email = "ada@example.com"): Traits {
  return { email, name: { first: "Ada", last: "Lovelace" } };
}

/** Registers through the native API flow; returns the session token and identity id. */
export async function registerNative(
  s: TestServer,
  email = "ada@example.com",
): Promise<{ token: string; identityId: string; sessionId: string }> {
  const api = frontend(s);
  const flow = await api.createNativeRegistrationFlow();
  const res = await api.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", password: PASSWORD, traits: traits(email) },
  });
  assert.ok(res.session_token);
  assert.ok(res.session);
  return { token: res.session_token, identityId: res.identity.id, sessionId: res.session.id };
}

/** Signs a browser in through a plain form post; the jar then holds the session cookie. */
export async function browserLogin(s: TestServer, jar: CookieJar, email = "ada@example.com") {
  const init = await jar.fetch(url(s, "/self-service/login/browser"));
  assert.equal(init.status, 303);
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const flow = await (await jar.fetch(url(s, `/self-service/login/flows?id=${flowId}`))).json();
  const res = await jar.fetch(
    url(s, `/self-service/login?flow=${flowId}`),
    form({ method: "password", identifier: email, password: PASSWORD, csrf_token: csrfOf(flow) }),
  );
  assert.equal(res.status, 303, await res.clone().text());
  assert.ok(jar.cookies.has("ory_kratos_session"));
  return res;
}

/** A JSON body; asserts the content type first. */
export async function bodyOf(res: Response): Promise<Record<string, unknown>> {
  const type = res.headers.get("content-type") ?? "";
  assert.match(type, /^application\/json/, `expected JSON, got ${type} (${res.status})`);
  return (await res.json()) as Record<string, unknown>;
}

type Node = { attributes: Record<string, unknown>; messages: { id: number }[]; group: string };

export function nodeOf(flow: unknown, name: string): Node {
  const nodes = (flow as { ui: { nodes: Node[] } }).ui.nodes;
  const node = nodes.find((n) => n.attributes.name === name);
  assert.ok(node, `no node named ${name}`);
  return node;
}

export function globalMessageIds(flow: unknown): number[] {
  return ((flow as { ui: { messages?: { id: number }[] } }).ui.messages ?? []).map((m) => m.id);
}
