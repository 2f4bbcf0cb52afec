import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bodyOf,
  browserLogin,
  CookieJar,
  frontend,
  HOUR,
  JSON_ACCEPT,
  registerNative,
  sdkError,
  server,
  url,
} from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";

test("whoami with the session cookie, X-Session-Token and lower-case bearer; identity id header", async (t) => {
  const s = await server(t);
  const { token, identityId, sessionId } = await registerNative(s);
  const jar = new CookieJar();
  await browserLogin(s, jar);

  const byCookie = await frontend(s, jar).toSessionRaw({});
  assert.equal(byCookie.raw.status, 200);
  assert.equal(byCookie.raw.headers.get("x-kratos-authenticated-identity-id"), identityId);
  assert.equal(
    byCookie.raw.headers.getSetCookie().filter((c) => c.startsWith("csrf_token_")).length,
    0,
    "whoami never sets a CSRF cookie",
  );
  const cookieSession = await bodyOf(byCookie.raw.clone());
  assertSchema("session", cookieSession);
  assert.equal(cookieSession.active, true);
  assert.notEqual(cookieSession.id, sessionId, "the browser login made its own session");
  assert.equal(JSON.stringify(cookieSession).includes("ory_st_"), false, "no token in the session JSON");

  const byHeader = await fetch(url(s, "/sessions/whoami"), { headers: { "X-Session-Token": token } });
  assert.equal(byHeader.status, 200);
  assert.equal(byHeader.headers.get("x-kratos-authenticated-identity-id"), identityId);
  const headerSession = await bodyOf(byHeader);
  assertSchema("session", headerSession);
  assert.equal(headerSession.id, sessionId);
  assert.equal((headerSession.identity as { id: string }).id, identityId);
  assert.equal(
    (headerSession.identity as Record<string, unknown>).credentials,
    undefined,
    "never credentials",
  );

  const byBearer = await fetch(url(s, "/sessions/whoami"), { headers: { Authorization: `bearer ${token}` } });
  assert.equal(byBearer.status, 200);
  assert.equal((await bodyOf(byBearer)).id, sessionId);

  // whoami answers any method.
  const post = await fetch(url(s, "/sessions/whoami"), {
    method: "POST",
    headers: { "X-Session-Token": token },
  });
  assert.equal(post.status, 200);
});

test("whoami without credentials or with an unknown token: 401 session_inactive", async (t) => {
  const s = await server(t);
  const { status, body } = await sdkError(frontend(s).toSession());
  assert.equal(status, 401);
  assertSchema("errorGeneric", body);
  const error = (body as { error: { id: string; code: number; reason: string } }).error;
  assert.equal(error.id, "session_inactive");
  assert.equal(error.code, 401);
  assert.equal(error.reason, "No valid session credentials found in the request.");

  const unknown = await fetch(url(s, "/sessions/whoami"), {
    headers: { "X-Session-Token": "ory_st_00000000000000000000000000000000", "X-Request-ID": "req-42" },
  });
  assert.equal(unknown.status, 401);
  assert.equal(unknown.headers.get("ory-error-id"), "session_inactive");
  assert.match(unknown.headers.get("content-type") ?? "", /^application\/json/);
  const unknownBody = await bodyOf(unknown);
  assertSchema("errorGeneric", unknownBody);
  assert.equal((unknownBody.error as { request: string }).request, "req-42", "X-Request-ID is echoed");

  // Garbage credentials are still just "no session", never a 500.
  for (const headers of [
    { cookie: "ory_kratos_session=%E0%A4%A" } as Record<string, string>,
    { cookie: "ory_kratos_session=" },
    { authorization: "Bearer" },
    { authorization: "Basic dXNlcjpwYXNz" },
    { "x-session-token": "x".repeat(10_000) },
  ]) {
    const res = await fetch(url(s, "/sessions/whoami"), { headers });
    assert.equal(res.status, 401, JSON.stringify(headers));
  }
});

test("whoami after the session expired (24h): 401", async (t) => {
  const s = await server(t);
  const { token } = await registerNative(s);
  const jar = new CookieJar();
  await browserLogin(s, jar);
  s.clock.advance(24 * HOUR - 1000);
  assert.equal(
    (await fetch(url(s, "/sessions/whoami"), { headers: { "X-Session-Token": token } })).status,
    200,
  );
  s.clock.advance(2000);
  const res = await fetch(url(s, "/sessions/whoami"), { headers: { "X-Session-Token": token } });
  assert.equal(res.status, 401);
  const body = await bodyOf(res);
  assertSchema("errorGeneric", body);
  assert.equal((body.error as { id: string }).id, "session_inactive");
  assert.equal((await jar.fetch(url(s, "/sessions/whoami"))).status, 401, "the cookie session expired too");
});

test("browser logout: logout_url, then 303 with the cookie cleared; whoami 401 afterwards", async (t) => {
  const s = await server(t, {
    selfservice: {
      default_browser_return_url: "https://app.example/",
      flows: { logout: { after: { default_browser_return_url: "https://app.example/bye" } } },
    },
  });
  await registerNative(s);
  const jar = new CookieJar();
  await browserLogin(s, jar);
  const csrfName = [...jar.cookies.keys()].find((k) => k.startsWith("csrf_token_"))!;
  const csrfBefore = jar.cookies.get(csrfName);
  const sessionCookie = jar.cookies.get("ory_kratos_session");

  const api = frontend(s, jar);
  const raw = await api.createBrowserLogoutFlowRaw({});
  assert.equal(raw.raw.status, 200);
  assertSchema("logoutFlow", await bodyOf(raw.raw.clone()));
  const flow = await raw.value();
  assert.match(flow.logout_token, /^ory_lo_[A-Za-z0-9]{32}$/);
  const logoutUrl = new URL(flow.logout_url);
  assert.equal(`${logoutUrl.origin}${logoutUrl.pathname}`, url(s, "/self-service/logout"));
  assert.equal(logoutUrl.searchParams.get("token"), flow.logout_token);

  const res = await jar.fetch(flow.logout_url);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "https://app.example/bye");
  const cleared = res.headers.getSetCookie().find((c) => c.startsWith("ory_kratos_session="));
  assert.ok(cleared, "the session cookie is cleared");
  assert.match(cleared, /Max-Age=(-1|0)/);
  assert.equal(jar.cookies.has("ory_kratos_session"), false);
  assert.notEqual(jar.cookies.get(csrfName), csrfBefore, "the CSRF cookie is rotated");

  const whoami = await jar.fetch(url(s, "/sessions/whoami"));
  assert.equal(whoami.status, 401);
  // Replaying the old cookie does not work: the session itself is revoked.
  const replay = await fetch(url(s, "/sessions/whoami"), {
    headers: { cookie: `ory_kratos_session=${sessionCookie}` },
  });
  assert.equal(replay.status, 401);
});

test("browser logout with a return_to and as JSON (204); bad token 403; no session 401", async (t) => {
  const s = await server(t, { selfservice: { allowed_return_urls: ["https://app.example/"] } });
  await registerNative(s);
  const jar = new CookieJar();
  await browserLogin(s, jar);
  const api = frontend(s, jar);
  const flow = await api.createBrowserLogoutFlow({ returnTo: "https://app.example/after" });
  assert.equal(new URL(flow.logout_url).searchParams.get("return_to"), "https://app.example/after");

  const wrong = await jar.fetch(url(s, "/self-service/logout?token=ory_lo_wrong"), { headers: JSON_ACCEPT });
  assert.equal(wrong.status, 403);
  assertSchema("errorGeneric", await bodyOf(wrong));
  const missing = await jar.fetch(url(s, "/self-service/logout"), { headers: JSON_ACCEPT });
  assert.equal(missing.status, 400);

  const ok = await jar.fetch(flow.logout_url, { headers: JSON_ACCEPT });
  assert.equal(ok.status, 204);
  assert.equal(jar.cookies.has("ory_kratos_session"), false);

  const { status, body } = await sdkError(api.createBrowserLogoutFlow({}));
  assert.equal(status, 401);
  assertSchema("errorGeneric", body);
});

test("native logout: DELETE /self-service/logout/api revokes the token (204), unknown token 403", async (t) => {
  const s = await server(t);
  const { token } = await registerNative(s);
  const api = frontend(s);
  const raw = await api.performNativeLogoutRaw({ performNativeLogoutBody: { session_token: token } });
  assert.equal(raw.raw.status, 204);
  assert.equal(
    (await fetch(url(s, "/sessions/whoami"), { headers: { "X-Session-Token": token } })).status,
    401,
  );

  const { status, body } = await sdkError(
    api.performNativeLogout({ performNativeLogoutBody: { session_token: token } }),
  );
  assert.equal(status, 403);
  assertSchema("errorGeneric", body);
});

test("a session's own list and revocation of other sessions", async (t) => {
  const s = await server(t);
  const first = await registerNative(s);
  const api = frontend(s);
  const flow = await api.createNativeLoginFlow();
  const second = await api.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: {
      method: "password",
      identifier: "ada@example.com",
      password: "Tessera-correct-horse-7421",
    },
  });
  const list = await fetch(url(s, "/sessions"), { headers: { "X-Session-Token": second.session_token! } });
  assert.equal(list.status, 200);
  const sessions = (await list.json()) as { id: string }[];
  assert.deepEqual(
    sessions.map((x) => x.id),
    [first.sessionId],
  );
  for (const x of sessions) assertSchema("session", x);
  const revoke = await fetch(url(s, `/sessions/${first.sessionId}`), {
    method: "DELETE",
    headers: { "X-Session-Token": second.session_token! },
  });
  assert.equal(revoke.status, 204);
  assert.equal(
    (await fetch(url(s, "/sessions/whoami"), { headers: { "X-Session-Token": first.token } })).status,
    401,
  );
});

test("whoami follows every change of the identity, even within one instant, and equals tRPC's", async (t) => {
  const s = await server(t);
  const { token, identityId } = await registerNative(s);
  const whoami = async () => {
    const res = await fetch(url(s, "/sessions/whoami"), { headers: { "X-Session-Token": token } });
    assert.equal(res.status, 200);
    return bodyOf(res);
  };
  const admin = (method: string, body: unknown) =>
    fetch(`${s.adminUrl}admin/identities/${identityId}`, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const before = await whoami();
  assert.deepEqual(await whoami(), before, "a repeated whoami answers the same");

  // The manual clock does not move: every write below has the same updated_at.
  const patched = await admin("PATCH", [
    { op: "replace", path: "/traits/email", value: "grace@example.com" },
    { op: "replace", path: "/metadata_public", value: { tier: "gold" } },
  ]);
  assert.equal(patched.status, 200);
  const after = await whoami();
  const identity = after.identity as Record<string, unknown>;
  assert.equal((identity.traits as { email: string }).email, "grace@example.com");
  assert.deepEqual(identity.metadata_public, { tier: "gold" });
  assert.deepEqual(
    (identity.verifiable_addresses as { value: string }[]).map((a) => a.value),
    ["grace@example.com"],
  );

  const trpc = await fetch(url(s, "/trpc/session.whoami"), { headers: { "X-Session-Token": token } });
  assert.equal(trpc.status, 200);
  assert.deepEqual((await trpc.json()).result.data, after, "REST and tRPC answer the same session");

  // The session changes too: extended an hour later, whoami shows the new expiry.
  s.clock.advance(HOUR);
  const session = await whoami();
  const extended = await fetch(`${s.adminUrl}admin/sessions/${session.id}/extend`, { method: "PATCH" });
  assert.equal(extended.status, 200);
  const afterExtend = await whoami();
  assert.equal(afterExtend.expires_at, new Date(s.clock.now().getTime() + 24 * HOUR).toISOString());
  assert.notEqual(afterExtend.expires_at, session.expires_at);

  const disabled = await admin("PATCH", [{ op: "replace", path: "/state", value: "inactive" }]);
  assert.equal(disabled.status, 200);
  const res = await fetch(url(s, "/sessions/whoami"), { headers: { "X-Session-Token": token } });
  assert.equal(res.status, 401, "an identity made inactive has no session");
});
