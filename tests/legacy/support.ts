import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  type LegacyProfileRequest,
  type LegacySettingsRequest,
  legacyProfileRequest,
  legacySettingsRequest,
} from "#shared/legacy.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import { assertSchema } from "../helpers/openapi.ts";
import {
  bodyOf,
  type CookieJar,
  form,
  type Json,
  onlySchema,
  registerBrowser,
  type TestServer,
  url,
} from "../settings/helpers.ts";

/**
 * Helpers for driving the v0.1 and v0.2 routes the way the seeds describe them: a browser follows
 * 302s to the UI with `?request=<id>`, the UI fetches the request JSON (admin without cookies, public
 * with them) and the form posts back to the old action URL.
 */

/** Seed 001/000's traits schema (name.first needs 5 characters), wrapped as today's identity schema. */
export const SEED_TRAITS = JSON.parse(
  readFileSync(new URL("../fixtures/legacy/seed-traits.schema.json", import.meta.url), "utf8"),
) as Json;

/** The seeds' traits schema as today's identity schema (traits under `properties.traits`). */
export function seedConfig(extra: ConfigInput = {}): ConfigInput {
  const { $schema: _dialect, $id: _id, ...traits } = SEED_TRAITS;
  const identity = {
    $id: "https://example.org/identity.schema.json",
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { traits },
  };
  return { ...onlySchema("default", identity), ...extra };
}

/** The seeds' user: foobar@ory.sh with name Foobar Barbaz. */
export function registerSeedUser(s: TestServer, email = "foobar@ory.sh") {
  return registerBrowser(s, email, { "traits.name.first": "Foobar", "traits.name.last": "Barbaz" });
}

/** Asserts a 302 to the settings UI with `?request=`; returns the request id. */
export function requestIdFromUiRedirect(s: TestServer, res: Response): string {
  assert.equal(res.status, 302, `expected a 302 to the UI, got ${res.status}`);
  const location = new URL(res.headers.get("location")!, s.publicUrl);
  assert.equal(`${location.origin}${location.pathname}`, url(s, "/ui/settings"), location.toString());
  assert.equal(location.searchParams.get("flow"), null, "the old APIs name it request, not flow");
  const id = location.searchParams.get("request");
  assert.ok(id, "Location carries ?request=");
  return id;
}

/** `GET /self-service/browser/flows/{profile,settings}` with the browser's cookies; the request id. */
export async function initLegacy(
  s: TestServer,
  jar: CookieJar,
  era: "profile" | "settings",
): Promise<string> {
  const res = await jar.fetch(url(s, `/self-service/browser/flows/${era}`));
  return requestIdFromUiRedirect(s, res);
}

function adminUrl(s: TestServer, path: string): string {
  return new URL(path.replace(/^\//, ""), s.adminUrl).toString();
}

/** Fetches a v0.1 request on the admin listener (the server-side UI's way, seed 001 step 3). */
export async function adminProfileRequest(s: TestServer, id: string): Promise<LegacyProfileRequest> {
  const res = await fetch(adminUrl(s, `/self-service/browser/flows/requests/profile?request=${id}`));
  assert.equal(res.status, 200, await res.clone().text());
  return legacyProfileRequest.parse(await bodyOf(res));
}

/** Fetches a v0.1 request on the public listener with the browser's cookies (client-side UIs). */
export async function publicProfileRequest(
  s: TestServer,
  jar: CookieJar,
  id: string,
): Promise<LegacyProfileRequest> {
  const res = await jar.fetch(url(s, `/self-service/browser/flows/requests/profile?request=${id}`));
  assert.equal(res.status, 200, await res.clone().text());
  return legacyProfileRequest.parse(await bodyOf(res));
}

export async function adminSettingsRequest(s: TestServer, id: string): Promise<LegacySettingsRequest> {
  const res = await fetch(adminUrl(s, `/self-service/browser/flows/requests/settings?request=${id}`));
  assert.equal(res.status, 200, await res.clone().text());
  return legacySettingsRequest.parse(await bodyOf(res));
}

export async function publicSettingsRequest(
  s: TestServer,
  jar: CookieJar,
  id: string,
): Promise<LegacySettingsRequest> {
  const res = await jar.fetch(url(s, `/self-service/browser/flows/requests/settings?request=${id}`));
  assert.equal(res.status, 200, await res.clone().text());
  return legacySettingsRequest.parse(await bodyOf(res));
}

/** Reads a JSON error of a request endpoint: the status and `error` (checked against the OpenAPI envelope). */
export async function legacyError(
  res: Response,
  schema = "errorGeneric",
): Promise<{ status: number; error: Json; body: Json }> {
  const body = await bodyOf(res);
  assertSchema(schema, body);
  return { status: res.status, error: body.error as Json, body };
}

/** Posts a form to an old action URL with the browser's cookies. */
export function postForm(jar: CookieJar, action: string, values: Record<string, string>): Promise<Response> {
  return jar.fetch(action, form(values));
}

/** The form fields' values by name, as a UI would fill its inputs from them. */
export function valuesOf(fields: Record<string, { value?: unknown }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, field] of Object.entries(fields))
    if (field.value !== undefined) out[name] = String(field.value);
  return out;
}

export { url };

/**
 * Follows a legacy error redirect: `302` to the error UI with `?error=<id>` (and today's `?id=`),
 * then reads the error the way a v0.1/v0.2 UI did, `GET /self-service/errors?error=<id>`.
 */
export async function legacyStoredError(
  s: TestServer,
  res: Response,
): Promise<Json & { id?: string; code?: number }> {
  assert.equal(res.status, 302, `expected a 302 to the error UI, got ${res.status}`);
  const location = new URL(res.headers.get("location")!, s.publicUrl);
  assert.equal(`${location.origin}${location.pathname}`, url(s, "/ui/error"), location.toString());
  const id = location.searchParams.get("error");
  assert.ok(id, "Location carries ?error=");
  assert.equal(location.searchParams.get("id"), id);
  const container = await bodyOf(await fetch(url(s, `/self-service/errors?error=${id}`)));
  assertSchema("flowError", container);
  return container.error as Json & { id?: string; code?: number };
}
