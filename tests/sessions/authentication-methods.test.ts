import assert from "node:assert/strict";
import { test } from "node:test";
import type { AuthenticationMethodRecord } from "../../db/store.ts";
import { aalOfMethod, aalOfMethods } from "../../server/session/service.ts";
import { bodyOf, jsonBody, PASSWORD, registerNative, server, url } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import type { TestServer } from "../helpers/server.ts";

// Issue 7 §5: a session's authentication methods and its assurance level come from what was done,
// not from a constant (Kratos session.go SetAuthenticatorAssuranceLevel).

type Json = Record<string, unknown>;

async function passwordLogin(s: TestServer, query = "", token?: string) {
  const headers = token ? { "x-session-token": token } : undefined;
  const flow = await bodyOf(await fetch(url(s, `/self-service/login/api${query}`), { headers }));
  const res = await fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    jsonBody({ method: "password", identifier: "ada@example.com", password: PASSWORD }, headers),
  );
  assert.equal(res.status, 200, await res.clone().text());
  const body = await bodyOf(res);
  assertSchema("successfulNativeLogin", body);
  return body;
}

test("a password login yields authentication_methods [password, aal1] and aal1, in the answer and whoami", async (t) => {
  const s = await server(t);
  await registerNative(s);
  s.clock.advance(60_000);
  const body = await passwordLogin(s);
  const session = body.session as Json;
  assert.equal(session.authenticator_assurance_level, "aal1");
  const methods = session.authentication_methods as Json[];
  assert.equal(methods.length, 1);
  assert.equal(methods[0]!.method, "password");
  assert.equal(methods[0]!.aal, "aal1");
  assert.equal(Date.parse(String(methods[0]!.completed_at)), s.clock.now().getTime(), "completed at sign-in");

  const whoami = await bodyOf(
    await fetch(url(s, "/sessions/whoami"), { headers: { "x-session-token": String(body.session_token) } }),
  );
  assertSchema("session", whoami);
  assert.equal(whoami.authenticator_assurance_level, "aal1");
  assert.deepEqual(whoami.authentication_methods, session.authentication_methods);
});

test("a refresh login appends to the session's authentication methods; the level stays aal1", async (t) => {
  const s = await server(t);
  const { token } = await registerNative(s);
  s.clock.advance(60_000);
  const refreshed = await passwordLogin(s, "?refresh=true", token);
  const session = refreshed.session as Json;
  const methods = session.authentication_methods as Json[];
  assert.deepEqual(
    methods.map((m) => [m.method, m.aal]),
    [
      ["password", "aal1"],
      ["password", "aal1"],
    ],
  );
  assert.equal(session.authenticator_assurance_level, "aal1");
});

const at = new Date(Date.UTC(2026, 0, 15));
const method = (m: string): AuthenticationMethodRecord => ({
  method: m,
  aal: aalOfMethod(m),
  completedAt: at,
});

test("aalOfMethods: none is aal0, first factors aal1, a first and a second factor aal2", () => {
  assert.equal(aalOfMethods([]), "aal0");
  assert.equal(aalOfMethods([method("password")]), "aal1");
  assert.equal(aalOfMethods([method("password"), method("password")]), "aal1");
  assert.equal(aalOfMethods([method("password"), method("totp")]), "aal2");
  assert.equal(aalOfMethods([method("totp"), method("password")]), "aal2", "order does not matter");
  assert.equal(aalOfMethods([method("password"), method("webauthn")]), "aal2");
  assert.equal(aalOfMethods([method("password"), method("lookup_secret")]), "aal2");
  // Kratos: an unpaired second factor falls back to aal1.
  assert.equal(aalOfMethods([method("totp")]), "aal1");
});

test("aalOfMethod: password is a first factor, totp/webauthn/lookup_secret second factors", () => {
  assert.equal(aalOfMethod("password"), "aal1");
  assert.equal(aalOfMethod("totp"), "aal2");
  assert.equal(aalOfMethod("webauthn"), "aal2");
  assert.equal(aalOfMethod("lookup_secret"), "aal2");
});
