import assert from "node:assert/strict";
import { test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import {
  apiFlow,
  assertUnchanged,
  bodyOf,
  browserFlow,
  type CookieJar,
  canLogin,
  csrfOf,
  errorOf,
  fetchFlow,
  flowIdFromUiRedirect,
  flowOf,
  form,
  globalMessageIds,
  HOUR,
  hasContinuityCookie,
  hasSessionCookie,
  JSON_ACCEPT,
  type Json,
  jsonBody,
  MINUTE,
  NEW_PASSWORD,
  nodeOf,
  PASSWORD,
  refreshLoginUrl,
  registerApi,
  registerBrowser,
  server,
  snapshot,
  submitUrl,
  type TestServer,
  url,
} from "./helpers.ts";

// Contract §10.3 and Appendix A.2: a browser with an old session changes a protected field, signs in
// again (refresh login) and the paused change is applied when it comes back.

/** Signs in as an old browser session and pauses `body` on a new flow; returns the flow. */
async function pause(s: TestServer, jar: CookieJar, body: Record<string, string>): Promise<Json> {
  s.clock.advance(HOUR + MINUTE);
  const flow = await browserFlow(s, jar);
  const res = await jar.fetch(submitUrl(s, flow.id), form({ ...body, csrf_token: csrfOf(flow as never) }));
  assert.equal(res.status, 303, await res.clone().text());
  assert.equal(res.headers.get("location"), refreshLoginUrl(s, String(flow.id)));
  assert.ok(hasContinuityCookie(res));
  assert.ok(jar.cookies.has("ory_kratos_continuity"));
  return flow;
}

/**
 * Follows the refresh-login redirect like a browser and the login UI would; returns the Location the
 * login submission answers with (the settings resume URL).
 */
async function refreshLogin(s: TestServer, jar: CookieJar, settingsFlowId: string, password = PASSWORD) {
  const init = await jar.fetch(refreshLoginUrl(s, settingsFlowId));
  assert.equal(init.status, 303, await init.clone().text());
  const loginUi = new URL(init.headers.get("location")!);
  assert.equal(`${loginUi.origin}${loginUi.pathname}`, url(s, "/ui/login"));
  const loginFlowId = loginUi.searchParams.get("flow")!;
  const loginFlow = await bodyOf(
    await jar.fetch(url(s, `/self-service/login/flows?id=${loginFlowId}`), { headers: JSON_ACCEPT }),
  );
  assertSchema("loginFlow", loginFlow);
  assert.equal(loginFlow.refresh, true);
  assert.equal(loginFlow.return_to, url(s, `/self-service/settings?flow=${settingsFlowId}`));
  assert.deepEqual(globalMessageIds(loginFlow), [1010003]);
  const identifier = nodeOf(loginFlow, "identifier");
  assert.equal(identifier.attributes.type, "hidden");
  const res = await jar.fetch(
    url(s, `/self-service/login?flow=${loginFlowId}`),
    form({
      method: "password",
      identifier: String(identifier.attributes.value),
      password,
      csrf_token: csrfOf(loginFlow as never),
    }),
  );
  assert.equal(res.status, 303, await res.clone().text());
  return res.headers.get("location")!;
}

test("A.2 browser password change with an old session: refresh login, then the change is applied", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await pause(s, user.jar, { method: "password", password: NEW_PASSWORD });
  await assertUnchanged(s, before);
  assert.equal((await fetchFlow(s, user.jar, String(flow.id))).state, "show_form");

  const resumeAt = await refreshLogin(s, user.jar, String(flow.id));
  assert.equal(resumeAt, url(s, `/self-service/settings?flow=${flow.id}`));
  // Still nothing applied until the browser comes back.
  assert.equal(await canLogin(s, user.email, PASSWORD), true);

  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, resumed), flow.id);
  assert.ok(hasSessionCookie(resumed), "the session cookie is re-issued");
  assert.ok(!user.jar.cookies.has("ory_kratos_continuity"), "the continuity cookie is consumed");
  const done = await fetchFlow(s, user.jar, String(flow.id));
  assert.equal(done.state, "success");
  assert.deepEqual(globalMessageIds(done), [1050001]);

  assert.equal(await canLogin(s, user.email, NEW_PASSWORD), true, "the new password signs in");
  assert.equal(await canLogin(s, user.email, PASSWORD), false, "the old one does not");

  // Coming back again does not replay anything (the container is gone): 4010004.
  const again = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, again), flow.id);
  assert.deepEqual(globalMessageIds(await fetchFlow(s, user.jar, String(flow.id))), [4010004]);
});

test("A.2 a paused e-mail change is applied after the refresh login", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const flow = await pause(s, user.jar, {
    method: "profile",
    "traits.email": "ada.new@example.com",
    "traits.name.first": "Ada",
  });
  const resumeAt = await refreshLogin(s, user.jar, String(flow.id));
  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, resumed), flow.id);
  const done = await fetchFlow(s, user.jar, String(flow.id));
  assert.equal(done.state, "success");
  assert.equal(nodeOf(done, "traits.email").attributes.value, "ada.new@example.com");
  assert.deepEqual((await snapshot(s, user.identityId)).traits, {
    email: "ada.new@example.com",
    name: { first: "Ada" },
  });
  assert.equal(await canLogin(s, "ada.new@example.com", PASSWORD), true, "the new identifier signs in");
  assert.equal(await canLogin(s, "ada@example.com", PASSWORD), false);
});

test("A.2 re-authentication with a failing payload ends at the settings UI with the error", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  // The password policy runs after the privilege check (§6.2), so "short" pauses first.
  const flow = await pause(s, user.jar, { method: "password", password: "short" });
  const resumeAt = await refreshLogin(s, user.jar, String(flow.id));
  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, resumed), flow.id);
  const rendered = await fetchFlow(s, user.jar, String(flow.id));
  assert.equal(rendered.state, "show_form");
  const password = nodeOf(rendered, "password");
  assert.deepEqual(
    password.messages.map((m) => [m.id, m.text]),
    [[4000032, "The password must be at least 8 characters long, but got 5."]],
  );
  assert.equal(password.attributes.value, undefined, "the password node never carries a value");
  await assertUnchanged(s, before);
});

test("A.2 a new settings flow created meanwhile aborts the paused change", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await pause(s, user.jar, { method: "password", password: NEW_PASSWORD });
  await browserFlow(s, user.jar); // e.g. the user opened settings in another tab
  const resumeAt = await refreshLogin(s, user.jar, String(flow.id));
  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, resumed), flow.id);
  const rendered = await fetchFlow(s, user.jar, String(flow.id));
  assert.notEqual(rendered.state, "success");
  await assertUnchanged(s, before);
  assert.equal(await canLogin(s, user.email, PASSWORD), true);
});

test("A.2 without the continuity cookie nothing is applied", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await pause(s, user.jar, { method: "password", password: NEW_PASSWORD });
  const resumeAt = await refreshLogin(s, user.jar, String(flow.id));
  user.jar.cookies.delete("ory_kratos_continuity");
  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, resumed), flow.id);
  assert.notEqual((await fetchFlow(s, user.jar, String(flow.id))).state, "success");
  await assertUnchanged(s, before);
});

test("A.2 coming back without the refresh login pauses again; nothing is applied", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await pause(s, user.jar, { method: "password", password: NEW_PASSWORD });
  // The session is still too old: the replayed payload is paused again.
  const early = await user.jar.fetch(url(s, `/self-service/settings?flow=${flow.id}`));
  assert.equal(early.status, 303);
  assert.equal(early.headers.get("location"), refreshLoginUrl(s, String(flow.id)));
  await assertUnchanged(s, before);
});

test("A.2 a container made for one flow is discarded when another flow is resumed", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  s.clock.advance(HOUR + MINUTE);
  const other = await browserFlow(s, user.jar);
  const flow = await browserFlow(s, user.jar);
  const paused = await user.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "password", password: NEW_PASSWORD, csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(paused.status, 303);
  const resumeAt = await refreshLogin(s, user.jar, String(flow.id));

  // Resuming the other flow consumes the container without applying it.
  const wrong = await user.jar.fetch(url(s, `/self-service/settings?flow=${other.id}`));
  assert.equal(flowIdFromUiRedirect(s, wrong), other.id);
  assert.deepEqual(globalMessageIds(await fetchFlow(s, user.jar, String(other.id))), [4010004]);
  assert.ok(!user.jar.cookies.has("ory_kratos_continuity"));

  const right = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, right), flow.id);
  assert.notEqual((await fetchFlow(s, user.jar, String(flow.id))).state, "success");
  await assertUnchanged(s, before);
});

test("§10.3 native apps re-authenticate with a refresh login and submit again", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  s.clock.advance(HOUR + MINUTE);
  const flow = await apiFlow(s, user.token);
  const submit = () =>
    fetch(
      submitUrl(s, flow.id),
      jsonBody({ method: "password", password: NEW_PASSWORD }, { "x-session-token": user.token }),
    );
  const refused = await submit();
  assert.equal(refused.status, 403);
  assert.equal((await errorOf(refused, "needsPrivilegedSessionError")).id, "session_refresh_required");

  const login = await bodyOf(
    await fetch(url(s, "/self-service/login/api?refresh=true"), {
      headers: { "x-session-token": user.token },
    }),
  );
  assert.equal(login.refresh, true);
  const relogin = await fetch(
    url(s, `/self-service/login?flow=${login.id}`),
    jsonBody(
      { method: "password", identifier: user.email, password: PASSWORD },
      { "x-session-token": user.token },
    ),
  );
  assert.equal(relogin.status, 200, await relogin.clone().text());

  const ok = await submit();
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal((await flowOf(ok)).state, "success");
  assert.equal(await canLogin(s, user.email, NEW_PASSWORD), true);
});

test("§10.3 an SPA's paused change is also resumed after a browser refresh login", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  s.clock.advance(HOUR + MINUTE);
  const flowRes = await user.jar.fetch(url(s, "/self-service/settings/browser"), { headers: JSON_ACCEPT });
  const flow = await flowOf(flowRes);
  const res = await user.jar.fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "password", password: NEW_PASSWORD, csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(res.status, 403);
  const body = await bodyOf(res.clone());
  assert.equal(body.redirect_browser_to, refreshLoginUrl(s, String(flow.id)));
  assert.ok(hasContinuityCookie(res));
  const resumeAt = await refreshLogin(s, user.jar, String(flow.id));
  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, resumed), flow.id);
  assert.equal(await canLogin(s, user.email, NEW_PASSWORD), true);
});

test("§10.3 a paused change older than 15 minutes is not applied", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await pause(s, user.jar, { method: "password", password: NEW_PASSWORD });
  s.clock.advance(16 * MINUTE); // the continuity container's lifespan is 15 minutes
  const resumeAt = await refreshLogin(s, user.jar, String(flow.id));
  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(flowIdFromUiRedirect(s, resumed), flow.id);
  assert.notEqual((await fetchFlow(s, user.jar, String(flow.id))).state, "success");
  await assertUnchanged(s, before);
});
