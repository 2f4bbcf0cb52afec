import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bodyOf,
  browserLogin,
  CookieJar,
  csrfOf,
  form,
  frontend,
  globalMessageIds,
  HOUR,
  JSON_ACCEPT,
  jsonBody,
  nodeOf,
  PASSWORD,
  registerNative,
  sdkError,
  server,
  url,
} from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";

test("native login through the SDK returns a session token (successfulNativeLogin)", async (t) => {
  const s = await server(t);
  const { identityId } = await registerNative(s);
  const api = frontend(s);
  const flow = await api.createNativeLoginFlow();
  assert.equal(flow.type, "api");
  assert.equal(flow.refresh, false);
  assertSchema("loginFlow", JSON.parse(JSON.stringify(flow)));
  assert.equal(nodeOf(flow, "csrf_token").attributes.value, "", "api flows carry an empty CSRF node");

  const raw = await api.updateLoginFlowRaw({
    flow: flow.id,
    updateLoginFlowBody: { method: "password", identifier: "ADA@example.com", password: PASSWORD },
  });
  assert.equal(raw.raw.status, 200);
  assert.equal(raw.raw.headers.getSetCookie().length, 0, "api flows set no cookies");
  assertSchema("successfulNativeLogin", await bodyOf(raw.raw.clone()));
  const res = await raw.value();
  assert.match(res.session_token ?? "", /^ory_st_[A-Za-z0-9]{32}$/);
  assert.equal(res.session.identity?.id, identityId);
  assert.equal(res.session.authenticator_assurance_level, "aal1");
  assert.deepEqual(
    res.session.authentication_methods?.map((m) => m.method),
    ["password"],
  );

  const whoami = await api.toSession({ xSessionToken: res.session_token! });
  assert.equal(whoami.id, res.session.id);
});

test("browser login with a form post: 303 to the default return URL and Set-Cookie ory_kratos_session", async (t) => {
  const s = await server(t, { selfservice: { default_browser_return_url: "https://app.example/dashboard" } });
  await registerNative(s);
  const jar = new CookieJar();
  const res = await browserLogin(s, jar);
  assert.equal(res.headers.get("location"), "https://app.example/dashboard");
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("ory_kratos_session="));
  assert.ok(cookie);
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Lax/i);
  assert.match(cookie, /Max-Age=86\d{3}/, "a persistent cookie for the session's lifetime (24h)");
  const whoami = await jar.fetch(url(s, "/sessions/whoami"));
  assert.equal(whoami.status, 200);
  assertSchema("session", await bodyOf(whoami));
});

test("SPA login through the SDK: 200 {session, continue_with} and a session cookie, no token", async (t) => {
  const s = await server(t, { selfservice: { default_browser_return_url: "https://app.example/" } });
  await registerNative(s);
  const jar = new CookieJar();
  const api = frontend(s, jar);
  const flow = await api.createBrowserLoginFlow({});
  assertSchema("loginFlow", JSON.parse(JSON.stringify(flow)));
  assert.equal(flow.type, "browser");
  assert.notEqual(csrfOf(flow as never), "");
  const fetched = await api.getLoginFlow({ id: flow.id });
  assert.equal(fetched.id, flow.id);

  const raw = await api.updateLoginFlowRaw({
    flow: flow.id,
    updateLoginFlowBody: {
      method: "password",
      identifier: "ada@example.com",
      password: PASSWORD,
      csrf_token: csrfOf(flow as never),
    },
  });
  assert.equal(raw.raw.status, 200);
  const body = await bodyOf(raw.raw.clone());
  assertSchema("successfulNativeLogin", body);
  assert.equal(body.session_token, undefined);
  assert.deepEqual(body.continue_with, [
    { action: "redirect_browser_to", redirect_browser_to: "https://app.example/" },
  ]);
  assert.ok(jar.cookies.has("ory_kratos_session"));
  const session = await api.toSession();
  assert.equal(session.id, (body.session as { id: string }).id);
});

test("login with a wrong password: 400 flow with 4000006, identifier echoed, password cleared", async (t) => {
  const s = await server(t);
  await registerNative(s);
  const api = frontend(s);
  const flow = await api.createNativeLoginFlow();
  const { status, body } = await sdkError(
    api.updateLoginFlow({
      flow: flow.id,
      updateLoginFlowBody: {
        method: "password",
        identifier: "ada@example.com",
        password: "wrong-password-1",
      },
    }),
  );
  assert.equal(status, 400);
  assertSchema("loginFlow", body);
  assert.deepEqual(globalMessageIds(body), [4000006]);
  assert.equal(nodeOf(body, "identifier").attributes.value, "ada@example.com");
  assert.equal(nodeOf(body, "password").attributes.value, undefined);
  // An unknown identifier gives the same answer.
  const again = await fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    jsonBody({ method: "password", identifier: "nobody@example.com", password: PASSWORD }),
  );
  assert.equal(again.status, 400);
  assert.deepEqual(globalMessageIds(await bodyOf(again)), [4000006]);
});

test("refresh login keeps the session id and token, moves authenticated_at and honours return_to", async (t) => {
  const s = await server(t, {
    selfservice: {
      default_browser_return_url: "https://app.example/",
      allowed_return_urls: ["https://app.example/"],
    },
  });
  await registerNative(s);
  const jar = new CookieJar();
  await browserLogin(s, jar);
  const before = await (await jar.fetch(url(s, "/sessions/whoami"))).json();
  // The cookie is sealed afresh each time it is issued (secrets.cookie); the token inside stays.
  const tokenBefore = (await s.store.getSession(before.id))?.token;
  assert.ok(tokenBefore);

  s.clock.advance(2 * HOUR);
  const returnTo = "https://app.example/settings?x=1";
  const init = await jar.fetch(
    url(s, `/self-service/login/browser?refresh=true&return_to=${encodeURIComponent(returnTo)}`),
    { headers: JSON_ACCEPT },
  );
  assert.equal(init.status, 200);
  const flow = await bodyOf(init);
  assertSchema("loginFlow", flow);
  assert.equal(flow.refresh, true);
  assert.equal(flow.return_to, returnTo);
  assert.deepEqual(globalMessageIds(flow), [1010003]);
  const identifier = nodeOf(flow, "identifier");
  assert.equal(identifier.attributes.type, "hidden");
  assert.equal(identifier.attributes.value, "ada@example.com");
  const submitNode = nodeOf(flow, "method");
  assert.equal((submitNode as unknown as { meta: { label: { id: number } } }).meta.label.id, 1010001);

  // The browser's UI fetches the flow with its cookie, as a real UI would.
  const fetched = await jar.fetch(url(s, `/self-service/login/flows?id=${flow.id}`));
  assert.equal(fetched.status, 200);
  assert.equal((await bodyOf(fetched)).refresh, true);

  s.clock.advance(60_000);
  const res = await jar.fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    form({
      method: "password",
      identifier: "ada@example.com",
      password: PASSWORD,
      csrf_token: csrfOf(flow as never),
    }),
  );
  assert.equal(res.status, 303, await res.clone().text());
  assert.equal(res.headers.get("location"), returnTo);
  assert.ok(
    res.headers.getSetCookie().some((c) => c.startsWith("ory_kratos_session=")),
    "the cookie is re-issued",
  );

  const after = await bodyOf(await jar.fetch(url(s, "/sessions/whoami")));
  assertSchema("session", after);
  assert.equal(after.id, before.id, "same session");
  assert.ok(Date.parse(after.authenticated_at as string) > Date.parse(before.authenticated_at));
  assert.equal(Date.parse(after.authenticated_at as string), s.clock.now().getTime());
  assert.equal(
    Date.parse(after.expires_at as string),
    s.clock.now().getTime() + 24 * HOUR,
    "expires_at = authenticated_at + lifespan",
  );
  assert.deepEqual(
    (after.authentication_methods as { method: string }[]).map((m) => m.method),
    ["password", "password"],
  );
  const stored = await s.store.getSession(before.id);
  assert.equal(stored?.token, tokenBefore, "same session token");
});

test("a native refresh login keeps the session token", async (t) => {
  const s = await server(t);
  const { token, sessionId } = await registerNative(s);
  const api = frontend(s);
  s.clock.advance(HOUR);
  const flow = await api.createNativeLoginFlow({ refresh: true, xSessionToken: token });
  assert.equal(flow.refresh, true);
  const res = await api.updateLoginFlow({
    flow: flow.id,
    xSessionToken: token,
    updateLoginFlowBody: { method: "password", identifier: "ada@example.com", password: PASSWORD },
  });
  assert.equal(res.session.id, sessionId);
  assert.equal(res.session_token, token);
  assert.equal(Date.parse(res.session.authenticated_at as unknown as string), s.clock.now().getTime());
});

test("login while signed in without refresh: JSON 400 session_already_available, browser 303", async (t) => {
  const s = await server(t, { selfservice: { default_browser_return_url: "https://app.example/" } });
  await registerNative(s);
  const jar = new CookieJar();
  await browserLogin(s, jar);
  const spa = await jar.fetch(url(s, "/self-service/login/browser"), { headers: JSON_ACCEPT });
  assert.equal(spa.status, 400);
  const body = await bodyOf(spa);
  assertSchema("errorGeneric", body);
  assert.equal((body.error as { id: string }).id, "session_already_available");
  const browser = await jar.fetch(url(s, "/self-service/login/browser"));
  assert.equal(browser.status, 303);
  assert.equal(browser.headers.get("location"), "https://app.example/");
});

test("an expired login flow: JSON 410 self_service_flow_expired with use_flow_id; browser gets a new flow with 4010001", async (t) => {
  const s = await server(t);
  await registerNative(s);

  // JSON (api flow)
  const api = frontend(s);
  const flow = await api.createNativeLoginFlow();
  s.clock.advance(HOUR + 60_000);
  const res = await fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    jsonBody({ method: "password", identifier: "ada@example.com", password: PASSWORD }),
  );
  assert.equal(res.status, 410);
  const body = await bodyOf(res);
  assertSchema("selfServiceFlowExpiredError", body);
  assert.equal((body.error as { id: string }).id, "self_service_flow_expired");
  assert.equal(typeof body.use_flow_id, "string");
  assert.notEqual(body.use_flow_id, flow.id);
  const replacement = await api.getLoginFlow({ id: body.use_flow_id as string });
  assert.equal(replacement.type, "api");
  assert.deepEqual(globalMessageIds(replacement), [4010001]);

  // Fetching the expired flow: 410 as well.
  const stale = await fetch(url(s, `/self-service/login/flows?id=${flow.id}`));
  assert.equal(stale.status, 410);
  assert.equal(((await bodyOf(stale)).error as { id: string }).id, "self_service_flow_expired");

  // Browser (form post)
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/login/browser"));
  const browserFlowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const browserFlow = await (await jar.fetch(url(s, `/self-service/login/flows?id=${browserFlowId}`))).json();
  s.clock.advance(HOUR + 60_000);
  const post = await jar.fetch(
    url(s, `/self-service/login?flow=${browserFlowId}`),
    form({
      method: "password",
      identifier: "ada@example.com",
      password: PASSWORD,
      csrf_token: csrfOf(browserFlow),
    }),
  );
  assert.equal(post.status, 303);
  const location = new URL(post.headers.get("location")!);
  assert.equal(`${location.origin}${location.pathname}`, url(s, "/ui/login"));
  const newId = location.searchParams.get("flow")!;
  assert.notEqual(newId, browserFlowId);
  const fresh = await jar.fetch(url(s, `/self-service/login/flows?id=${newId}`));
  assert.equal(fresh.status, 200);
  const freshBody = await bodyOf(fresh);
  assertSchema("loginFlow", freshBody);
  assert.deepEqual(globalMessageIds(freshBody), [4010001]);
  assert.equal(jar.cookies.has("ory_kratos_session"), false, "no session was issued");
});

test("a refresh flow completed by a different identity replaces the session and rotates the CSRF cookie", async (t) => {
  const s = await server(t);
  await registerNative(s, "ada@example.com");
  const grace = await registerNative(s, "grace@example.com");
  const jar = new CookieJar();
  await browserLogin(s, jar, "ada@example.com");
  const before = await (await jar.fetch(url(s, "/sessions/whoami"))).json();
  const oldCookie = jar.cookies.get("ory_kratos_session");
  const csrfName = [...jar.cookies.keys()].find((k) => k.startsWith("csrf_token_"))!;
  const csrfBefore = jar.cookies.get(csrfName);

  const init = await jar.fetch(url(s, "/self-service/login/browser?refresh=true"), { headers: JSON_ACCEPT });
  const flow = await bodyOf(init);
  assert.equal(flow.refresh, true);
  const res = await jar.fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    jsonBody({
      method: "password",
      identifier: "grace@example.com",
      password: PASSWORD,
      csrf_token: csrfOf(flow as never),
    }),
  );
  assert.equal(res.status, 200, await res.clone().text());
  const after = await bodyOf(await jar.fetch(url(s, "/sessions/whoami")));
  assert.notEqual(after.id, before.id);
  assert.equal((after.identity as { id: string }).id, grace.identityId);
  assert.notEqual(jar.cookies.get(csrfName), csrfBefore, "a different identity rotates the CSRF cookie");
  assert.equal(
    (await fetch(url(s, "/sessions/whoami"), { headers: { cookie: `ory_kratos_session=${oldCookie}` } }))
      .status,
    401,
    "the replaced session is revoked",
  );
});

test("an expired registration flow: JSON 410 with use_flow_id (new flow carries 4040001)", async (t) => {
  const s = await server(t);
  const api = frontend(s);
  const flow = await api.createNativeRegistrationFlow();
  s.clock.advance(HOUR + 1000);
  const res = await fetch(
    url(s, `/self-service/registration?flow=${flow.id}`),
    jsonBody({
      method: "password",
      password: PASSWORD,
      traits: { email: "ada@example.com", name: { first: "A", last: "L" } },
    }),
  );
  assert.equal(res.status, 410);
  const body = await bodyOf(res);
  assertSchema("selfServiceFlowExpiredError", body);
  assert.equal((body.error as { id: string }).id, "self_service_flow_expired");
  const replacement = await api.getRegistrationFlow({ id: body.use_flow_id as string });
  assert.deepEqual(globalMessageIds(replacement), [4040001]);
  assert.equal((await s.store.listIdentities({ pageSize: 10 })).identities.length, 0);
});

test("a browser form post with a wrong password: 303 back to the login UI, then a retry succeeds", async (t) => {
  const s = await server(t);
  await registerNative(s);
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/login/browser"));
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const flow = await (await jar.fetch(url(s, `/self-service/login/flows?id=${flowId}`))).json();
  const res = await jar.fetch(
    url(s, `/self-service/login?flow=${flowId}`),
    form({
      method: "password",
      identifier: "ada@example.com",
      password: "nope-nope-nope",
      csrf_token: csrfOf(flow),
    }),
  );
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), url(s, `/ui/login?flow=${flowId}`));
  assert.equal(jar.cookies.has("ory_kratos_session"), false);
  const shown = await bodyOf(await jar.fetch(url(s, `/self-service/login/flows?id=${flowId}`)));
  assertSchema("loginFlow", shown);
  assert.deepEqual(globalMessageIds(shown), [4000006]);
  assert.equal(nodeOf(shown, "identifier").attributes.value, "ada@example.com");

  const retry = await jar.fetch(
    url(s, `/self-service/login?flow=${flowId}`),
    form({
      method: "password",
      identifier: "ada@example.com",
      password: PASSWORD,
      csrf_token: csrfOf(shown as never),
    }),
  );
  assert.equal(retry.status, 303);
  assert.ok(jar.cookies.has("ory_kratos_session"));
});
