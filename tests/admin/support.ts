import assert from "node:assert/strict";
import {
  type ApiResponse,
  Configuration,
  type CreateIdentityBody,
  IdentityApi,
  ResponseError,
} from "@ory/client-fetch";
import type { ConfigInput } from "../../server/config/schema.ts";
import { jsonBody } from "../helpers/http.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

/** Shared helpers of the admin API suites: a server, the official SDK, schema checks. */

export const PASSWORD = "Tessera-admin-horse-7421";

export interface AdminFixture {
  server: TestServer;
  /** Kratos's official SDK pointed at the admin listener. */
  api: IdentityApi;
}

/** A fresh server (its own SQLite file) that closes when the test or suite ends. */
export async function adminServer(
  t: { after(fn: () => Promise<void> | void): void },
  overrides: ConfigInput = {},
): Promise<AdminFixture> {
  const server = await startTestServer(overrides);
  t.after(() => server.close());
  const api = new IdentityApi(new Configuration({ basePath: server.adminUrl.replace(/\/$/, "") }));
  return { server, api };
}

/**
 * The raw JSON of an SDK response, validated against `schema`, and the SDK's own parsed value, so
 * tests check both the wire and what SDK users see.
 */
export async function wire<T>(
  response: ApiResponse<T>,
  schema: string,
): Promise<{ json: Record<string, unknown>; value: T; raw: Response }> {
  const json = (await response.raw.clone().json()) as Record<string, unknown>;
  assertSchema(schema, json);
  return { json, value: await response.value(), raw: response.raw };
}

/** `wire` for list responses: every item is validated against `schema`. */
export async function wireList<T>(
  response: ApiResponse<T[]>,
  schema: string,
): Promise<{ json: Record<string, unknown>[]; value: T[]; raw: Response }> {
  const json = (await response.raw.clone().json()) as Record<string, unknown>[];
  assert.ok(Array.isArray(json), "a list response is a JSON array");
  for (const item of json) assertSchema(schema, item);
  return { json, value: await response.value(), raw: response.raw };
}

/** An SDK call that must fail: its status and error body, checked against `errorGeneric`. */
export async function sdkError(
  call: Promise<unknown>,
  status: number,
): Promise<{ error: Record<string, unknown> & { reason?: string; message: string } }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ResponseError)) throw err;
    const body = await err.response.json();
    assert.equal(err.response.status, status, JSON.stringify(body));
    assertSchema("errorGeneric", body);
    return body;
  }
  assert.fail(`expected the SDK call to fail with ${status}`);
}

/** A raw admin request (for what the SDK cannot send: bad JSON, other content types, extra keys). */
export async function adminFetch(
  server: TestServer,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(new URL(path.replace(/^\//, ""), server.adminUrl), { redirect: "manual", ...init });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (redirect bodies): keep the text.
  }
  return { status: res.status, headers: res.headers, body };
}

/** Asserts a raw response is Kratos's error envelope with this status; returns the inner error. */
export function assertErrorBody(
  res: { status: number; body: unknown },
  status: number,
): { reason?: string; message: string; details?: Record<string, unknown> } {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assertSchema("errorGeneric", res.body);
  return (res.body as { error: { reason?: string; message: string; details?: Record<string, unknown> } })
    .error;
}

export function person(email: string, first = "Ada"): CreateIdentityBody {
  return { schema_id: "default", traits: { email, name: { first, last: "Lovelace" } } };
}

/** Every identity id the admin API lists, walking all pages. */
export async function allIdentityIds(api: IdentityApi): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const res = await api.listIdentitiesRaw({ pageSize: 1000, ...(pageToken ? { pageToken } : {}) });
    ids.push(...(await res.value()).map((i) => i.id));
    pageToken = nextPageToken(res.raw.headers.get("link"));
  } while (pageToken);
  return ids;
}

/** The `page_token` of the `rel="next"` entry of a Link header, if any. */
export function nextPageToken(link: string | null): string | undefined {
  const next = (link ?? "").split(/,\s*(?=<)/).find((part) => part.endsWith('rel="next"'));
  const url = next && /^<([^>]+)>/.exec(next)?.[1];
  return url ? (new URL(url).searchParams.get("page_token") ?? undefined) : undefined;
}

/** Signs in through the public native login flow; returns the response status and body. */
export async function loginNative(
  server: TestServer,
  identifier: string,
  password: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const init = await fetch(new URL("self-service/login/api", server.publicUrl));
  assert.equal(init.status, 200);
  const flow = (await init.json()) as { id: string };
  const res = await fetch(
    new URL(`self-service/login?flow=${flow.id}`, server.publicUrl),
    jsonBody({ method: "password", identifier, password }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
