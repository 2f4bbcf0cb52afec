import assert from "node:assert/strict";
import { TRPCClientError } from "@trpc/client";
import {
  createTesseraClient,
  isTesseraError,
  type TesseraClient,
  type TesseraClientError,
  type TesseraErrorData,
} from "../../client/index.ts";
import { CookieJar } from "../helpers/http.ts";
import { validateAgainstOpenApi } from "../helpers/openapi.ts";
import type { TestServer } from "../helpers/server.ts";

export { CookieJar };

export const PASSWORD = "Tessera-correct-horse-7421";

export { serverFor as server } from "../helpers/server.ts";

/** The typed client against the public listener; a jar makes it carry cookies like a browser. */
export function client(s: TestServer, opts: { jar?: CookieJar; sessionToken?: string } = {}): TesseraClient {
  return createTesseraClient({
    url: s.publicUrl,
    ...(opts.jar ? { fetch: opts.jar.fetch } : {}),
    ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
  });
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

export function assertSchema(name: string, value: unknown): void {
  const errors = validateAgainstOpenApi(name, value, { noAdditionalProperties: true });
  assert.deepEqual(errors, [], `${name}: ${errors.join("; ")}\n${JSON.stringify(value, null, 2)}`);
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
