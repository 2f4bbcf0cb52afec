import assert from "node:assert/strict";
import { TRPCClientError } from "@trpc/client";
import {
  createTesseraAdminClient,
  createTesseraClient,
  isTesseraError,
  type TesseraAdminClient,
  type TesseraClient,
  type TesseraClientError,
  type TesseraErrorData,
} from "../../client/index.ts";
import { CookieJar } from "../helpers/http.ts";
import type { TestServer } from "../helpers/server.ts";

export { CookieJar };

export const PASSWORD = "Tessera-correct-horse-7421";
export const NEW_PASSWORD = "Another-battery-staple-9183";
export const MINUTE = 60 * 1000;
export const HOUR = 60 * MINUTE;

export { serverFor as server } from "../helpers/server.ts";

/**
 * The typed client against the public listener; a jar makes it carry cookies like a browser. `fetch`
 * (e.g. a `Recorder`'s) takes precedence over the jar's.
 */
export function client(
  s: TestServer,
  opts: { jar?: CookieJar; sessionToken?: string; fetch?: typeof fetch } = {},
): TesseraClient {
  const fetchImpl = opts.fetch ?? opts.jar?.fetch;
  return createTesseraClient({
    url: s.publicUrl,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
  });
}

/** The typed admin client against the admin listener. */
export function admin(s: TestServer): TesseraAdminClient {
  return createTesseraAdminClient({ url: s.adminUrl });
}

/**
 * Wraps a fetch (a jar's, or the global one for native apps) and keeps the `Set-Cookie` lines of the
 * last response, so a test can see which cookies a tRPC call set.
 */
export class Recorder {
  lastSetCookies: string[] = [];
  constructor(private readonly base: typeof fetch = globalThis.fetch) {}
  readonly fetch: typeof fetch = async (input, init) => {
    const res = await this.base(input, init);
    this.lastSetCookies = res.headers.getSetCookie();
    return res;
  };
  /** Whether the last response set (not cleared) the cookie `name`. */
  set(name: string): boolean {
    return this.lastSetCookies.some((c) => c.startsWith(`${name}=`) && !/^[^=]+=;/.test(c));
  }
}

export function traits(email = "ada@example.com") {
  return { email, name: { first: "Ada", last: "Lovelace" } };
}

export function url(s: TestServer, path: string): string {
  return new URL(path.replace(/^\//, ""), s.publicUrl).toString();
}

/** The typed error of a call that must fail. */
export async function trpcError(
  promise: Promise<unknown>,
): Promise<TesseraClientError & { data: TesseraErrorData }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCClientError, `expected a TRPCClientError, got ${String(err)}`);
    assert.ok(isTesseraError(err), "error data carries the Kratos envelope");
    assert.ok(err.data);
    return err as TesseraClientError & { data: TesseraErrorData };
  }
  assert.fail("expected the call to fail");
}

type Node = { attributes: Record<string, unknown>; messages: { id: number }[] };
type FlowLike = { id: string; ui: { action: string; nodes: Node[]; messages?: { id: number }[] } };

export function nodeOf(flow: FlowLike, name: string): Node {
  const node = flow.ui.nodes.find((n) => n.attributes.name === name);
  assert.ok(node, `no node named ${name}`);
  return node;
}

export function globalMessageIds(flow: FlowLike): number[] {
  return (flow.ui.messages ?? []).map((m) => m.id);
}

/** A flow with its id (and the id inside `ui.action`) blanked, to compare flows across the two doors. */
export function comparable(flow: FlowLike): unknown {
  return JSON.parse(JSON.stringify(flow).replaceAll(flow.id, "<id>"));
}

export async function restJson(
  s: TestServer,
  path: string,
  init: RequestInit = {},
  fetchImpl: typeof fetch = fetch,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers(init.headers);
  headers.set("accept", "application/json");
  if (init.body) headers.set("content-type", "application/json");
  const res = await fetchImpl(url(s, path), { ...init, headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * A flow or an error envelope made comparable across the two doors: the given ids (flow ids,
 * `use_flow_id`s) blanked wherever they occur (`id`, `ui.action`, `redirect_browser_to`, ...), and the
 * value of every `csrf_token` node blanked (a browser flow's token is re-masked on every render).
 */
export function blanked(value: unknown, ids: readonly unknown[] = []): unknown {
  let text = JSON.stringify(value);
  for (const id of ids) if (typeof id === "string" && id) text = text.replaceAll(id, "<id>");
  return JSON.parse(text, (key, v: unknown) => {
    if (key !== "attributes" || !v || typeof v !== "object") return v;
    const a = v as Record<string, unknown>;
    return a.name === "csrf_token" && "value" in a ? { ...a, value: "<csrf>" } : a;
  });
}

// ---------------------------------------------------------------------------------------------
// "Nothing changed": traits and password hash through the admin API.

export interface IdentityState {
  id: string;
  traits: unknown;
  hash: string;
}

/**
 * The identity's traits and password hash through the typed admin client
 * (`identities.get` with `includeCredential: ["password"]`), checked against the REST twin
 * `GET /admin/identities/<id>?include_credential=password`.
 */
export async function identityState(s: TestServer, id: string): Promise<IdentityState> {
  const identity = await admin(s).identities.get.query({ id, includeCredential: ["password"] });
  const hash = (identity.credentials?.password?.config as { hashed_password?: unknown } | undefined)
    ?.hashed_password;
  assert.equal(typeof hash, "string", "the admin API includes the password hash");
  const res = await fetch(new URL(`admin/identities/${id}?include_credential=password`, s.adminUrl), {
    headers: { accept: "application/json" },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(identity)), "admin REST and tRPC agree");
  return { id, traits: identity.traits, hash: hash as string };
}

/** Asserts the identity's traits and password hash are what they were in `before`. */
export async function assertUnchanged(s: TestServer, before: IdentityState, label = ""): Promise<void> {
  const now = await identityState(s, before.id);
  assert.deepEqual(now.traits, before.traits, `traits unchanged ${label}`.trim());
  assert.equal(now.hash, before.hash, `password hash unchanged ${label}`.trim());
}

/** Whether a native password login through tRPC succeeds (which password is current). */
export async function canLogin(s: TestServer, identifier: string, password: string): Promise<boolean> {
  const trpc = client(s);
  const flow = await trpc.login.create.mutate({ type: "api" });
  const res = await trpc.login.submit.mutate({
    flow: flow.id,
    body: { method: "password", identifier, password },
  });
  if (res.status === "form") assert.deepEqual(globalMessageIds(res.flow), [4000006]);
  return res.status === "success";
}
