import assert from "node:assert/strict";
import { test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import { makeActor, sdkResponse } from "./callers.ts";
import {
  apiFlow,
  assertUnchanged,
  bodyOf,
  browserFlow,
  CookieJar,
  csrfOf,
  errorOf,
  fetchFlow,
  flowIdFromUiRedirect,
  flowOf,
  form,
  globalMessageIds,
  HOUR,
  JSON_ACCEPT,
  jsonBody,
  MINUTE,
  nativeSdk,
  nodeOf,
  registerApi,
  registerBrowser,
  sdk,
  sdkError,
  server,
  snapshot,
  spaFlow,
  storedErrorOf,
  submitUrl,
  url,
} from "./helpers.ts";

// Contract §12 (and the §4.1–§4.6 paths around it): the edge cases of the settings flow.

const UNKNOWN = "8f0b7a56-3a3e-4b55-9d7e-1f0c1b2a3c4d";

test("§12.2 fetching another identity's flow: 403 security_identity_mismatch (cookie and token)", async (t) => {
  const s = await server(t);
  const ada = await registerBrowser(s, "ada@example.com");
  const eve = await registerBrowser(s, "eve@example.com");
  const flow = await spaFlow(s, ada.jar);
  const reason = "The request was made for another identity and has been blocked for security reasons.";

  const viaSdk = await sdkError(sdk(s, eve.jar).getSettingsFlow({ id: String(flow.id) }));
  assert.equal(viaSdk.status, 403);
  assertSchema("errorGeneric", viaSdk.body);
  const error = viaSdk.body.error as { id: string; reason: string };
  assert.equal(error.id, "security_identity_mismatch");
  assert.equal(error.reason, reason);

  const mallory = await registerApi(s, "mallory@example.com");
  const viaToken = await fetch(url(s, `/self-service/settings/flows?id=${flow.id}`), {
    headers: { "x-session-token": mallory.token },
  });
  assert.equal(viaToken.status, 403);
  assert.equal((await errorOf(viaToken)).reason, reason);

  // The owner still can.
  assert.equal((await fetchFlow(s, ada.jar, String(flow.id))).id, flow.id);
});

test("§12.2 submitting another identity's flow (api and browser) changes nothing", async (t) => {
  const s = await server(t);
  const ada = await registerApi(s, "ada@example.com");
  const eve = await registerApi(s, "eve@example.com");
  const before = await snapshot(s, ada.identityId);
  const flow = await apiFlow(s, ada.token);
  const res = await sdkResponse(() =>
    nativeSdk(s).updateSettingsFlowRaw({
      flow: String(flow.id),
      xSessionToken: eve.token,
      updateSettingsFlowBody: {
        method: "profile",
        traits: { email: "ada@example.com", name: { first: "X" } },
      },
    }),
  );
  assert.equal(res.status, 403);
  const error = await errorOf(res);
  assert.equal(error.id, "security_identity_mismatch");
  assert.match(String(error.reason), /^The request was initiated by someone else/);
  await assertUnchanged(s, before);
});

test("§12.3 unknown flow id: 404 on fetch and on submit (JSON and browser)", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);

  const fetched = await user.jar.fetch(url(s, `/self-service/settings/flows?id=${UNKNOWN}`), {
    headers: JSON_ACCEPT,
  });
  assert.equal(fetched.status, 404);
  const fetchError = await errorOf(fetched);
  assert.equal(fetchError.message, "Unable to locate the resource");
  assert.equal(fetchError.code, 404);

  const reason = "The settings request could not be found. Please restart the flow.";
  const json = await user.jar.fetch(submitUrl(s, UNKNOWN), jsonBody({ method: "profile", traits: {} }));
  assert.equal(json.status, 404);
  assert.equal((await errorOf(json)).reason, reason);

  const browser = await user.jar.fetch(submitUrl(s, UNKNOWN), form({ method: "profile" }));
  const stored = await storedErrorOf(s, browser);
  assert.equal(stored.code, 404);
  assert.equal(stored.reason, reason);
  await assertUnchanged(s, before);
});

test("§12.3 malformed or missing flow id: 404 on fetch, 400 on submit", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);

  for (const id of ["not-a-uuid", ""]) {
    const res = await user.jar.fetch(url(s, `/self-service/settings/flows?id=${id}`), {
      headers: JSON_ACCEPT,
    });
    assert.equal(res.status, 404, `fetch id=${id}`);
    await errorOf(res);
  }
  const reason = "The flow query parameter is missing or malformed.";
  for (const path of ["/self-service/settings?flow=not-a-uuid", "/self-service/settings"]) {
    const json = await user.jar.fetch(url(s, path), jsonBody({ method: "profile" }));
    assert.equal(json.status, 400, path);
    assert.equal((await errorOf(json)).reason, reason);
    const browser = await user.jar.fetch(url(s, path), form({ method: "profile" }));
    const stored = await storedErrorOf(s, browser);
    assert.equal(stored.code, 400);
    assert.equal(stored.reason, reason);
  }
  await assertUnchanged(s, before);
});

test("§12.4 unknown or missing method: global 4010004 (400 JSON, 303 browser)", async (t) => {
  const s = await server(t);
  const api = await registerApi(s, "ada@example.com");
  const before = await snapshot(s, api.identityId);
  const flow = await apiFlow(s, api.token);
  for (const body of [{ method: "telepathy" }, { password: "whatever-1234" }]) {
    const res = await fetch(submitUrl(s, flow.id), jsonBody(body, { "x-session-token": api.token }));
    assert.equal(res.status, 400);
    const rendered = await flowOf(res);
    assert.deepEqual(globalMessageIds(rendered), [4010004]);
    assert.equal(
      (rendered.ui as { messages: { text: string }[] }).messages[0]!.text,
      "Could not find a strategy to update your settings. Did you fill out the form correctly?",
    );
  }
  await assertUnchanged(s, before);

  const browser = await registerBrowser(s, "eve@example.com");
  const browserBefore = await snapshot(s, browser.identityId);
  const bflow = await browserFlow(s, browser.jar);
  const res = await browser.jar.fetch(
    submitUrl(s, bflow.id),
    form({ method: "telepathy", csrf_token: csrfOf(bflow as never) }),
  );
  assert.equal(flowIdFromUiRedirect(s, res), bflow.id);
  assert.deepEqual(globalMessageIds(await fetchFlow(s, browser.jar, String(bflow.id))), [4010004]);
  await assertUnchanged(s, browserBefore);
});

test("§12.6 no session: fetch and submit answer 401 JSON or 302 to the login UI", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await spaFlow(s, user.jar);
  const anonymous = new CookieJar();

  const fetchJson = await anonymous.fetch(url(s, `/self-service/settings/flows?id=${flow.id}`), {
    headers: JSON_ACCEPT,
  });
  assert.equal(fetchJson.status, 401);
  const fetchError = await errorOf(fetchJson);
  assert.equal(fetchError.reason, "A valid Ory Session Cookie or Ory Session Token is missing.");
  assert.equal(fetchError.message, "The request could not be authorized");

  const fetchHtml = await anonymous.fetch(url(s, `/self-service/settings/flows?id=${flow.id}`));
  assert.equal(fetchHtml.status, 302);
  assert.equal(fetchHtml.headers.get("location"), url(s, "/ui/login"));

  const submitJson = await anonymous.fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "profile", traits: {} }),
  );
  assert.equal(submitJson.status, 401);
  assert.equal((await errorOf(submitJson)).code, 401);

  // The session check comes before the flow parameter is looked at (§4.4.1 step 1).
  const submitHtml = await anonymous.fetch(
    url(s, "/self-service/settings?flow=garbage"),
    form({ method: "profile" }),
  );
  assert.equal(submitHtml.status, 302);
  assert.equal(submitHtml.headers.get("location"), url(s, "/ui/login"));

  // Via the SDK (Accept: application/json, no session).
  const viaSdk = await sdkError(sdk(s).getSettingsFlow({ id: String(flow.id) }));
  assert.equal(viaSdk.status, 401);
  assertSchema("errorGeneric", viaSdk.body);
  await assertUnchanged(s, before);
});

test("§12.6 creating a flow without a session: api 401 without cookies, SPA 401, browser 303 to login", async (t) => {
  const s = await server(t);
  const api = await fetch(url(s, "/self-service/settings/api"));
  assert.equal(api.status, 401);
  assert.deepEqual(api.headers.getSetCookie(), [], "the api variant returns no cookies");
  const apiError = await errorOf(api);
  assert.equal(apiError.id, "session_inactive");
  assert.equal(
    apiError.reason,
    "This endpoint can only be accessed with a valid session. Please log in and try again.",
  );

  const viaSdk = await sdkError(nativeSdk(s).createNativeSettingsFlow());
  assert.equal(viaSdk.status, 401);

  const spa = await sdkError(sdk(s).createBrowserSettingsFlow());
  assert.equal(spa.status, 401);
  assertSchema("errorGeneric", spa.body);
  const spaError = spa.body.error as { id: string; reason: string; message: string };
  assert.equal(spaError.id, "session_inactive");
  assert.equal(spaError.reason, "No active session was found in this request.");
  assert.equal(spaError.message, "request does not have a valid authentication session");

  const browser = await fetch(url(s, "/self-service/settings/browser"), { redirect: "manual" });
  assert.equal(browser.status, 303);
  assert.equal(browser.headers.get("location"), url(s, "/self-service/login/browser"));

  const withReturnTo = await fetch(
    url(s, `/self-service/settings/browser?return_to=${encodeURIComponent(url(s, "/self-service/x"))}`),
    { redirect: "manual" },
  );
  const login = new URL(withReturnTo.headers.get("location")!);
  assert.equal(`${login.origin}${login.pathname}`, url(s, "/self-service/login/browser"));
  assert.equal(login.searchParams.get("return_to"), url(s, "/self-service/x"));
});

test("§12.7 a session revoked after the flow was created: same as no session", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await spaFlow(s, user.jar);
  const whoami = await bodyOf(await user.jar.fetch(url(s, "/sessions/whoami")));
  assertSchema("session", whoami);

  // Revoke it from a second session of the same identity (DELETE /sessions/{id}).
  const other = await registerApi(s, "eve@example.com"); // unrelated user: cannot see it
  const forbidden = await fetch(url(s, `/sessions/${whoami.id}`), {
    method: "DELETE",
    headers: { "x-session-token": other.token },
  });
  assert.equal(forbidden.status, 404);
  const login = await nativeLogin(s, "ada@example.com");
  const revoked = await fetch(url(s, `/sessions/${whoami.id}`), {
    method: "DELETE",
    headers: { "x-session-token": login },
  });
  assert.equal(revoked.status, 204);

  const json = await user.jar.fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "profile", traits: { email: "ada@example.com" }, csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(json.status, 401);
  await errorOf(json);
  const html = await user.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "profile", "traits.email": "ada@example.com", csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(html.status, 302);
  assert.equal(html.headers.get("location"), url(s, "/ui/login"));
  await assertUnchanged(s, before);
});

test("§12.7 an api session revoked in the store: 401", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  await s.store.revokeSession(user.sessionId);
  const res = await fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "password", password: "Brand-new-password-4711" }, { "x-session-token": user.token }),
  );
  assert.equal(res.status, 401);
  await errorOf(res);
  await assertUnchanged(s, before);
});

test("§12.8 a successful flow can be submitted again and works like the first time", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const flow = await apiFlow(s, user.token);
  const submit = (first: string) =>
    fetch(
      submitUrl(s, flow.id),
      jsonBody(
        { method: "profile", traits: { email: "ada@example.com", name: { first } } },
        { "x-session-token": user.token },
      ),
    );
  const one = await flowOf(await submit("Grace"));
  assert.equal(one.state, "success");
  const twoRes = await submit("Hedy");
  assert.equal(twoRes.status, 200);
  const two = await flowOf(twoRes);
  assert.equal(two.state, "success");
  assert.deepEqual(globalMessageIds(two), [1050001]);
  assert.equal(nodeOf(two, "traits.name.first").attributes.value, "Hedy");
  assert.deepEqual((await snapshot(s, user.identityId)).traits, {
    email: "ada@example.com",
    name: { first: "Hedy" },
  });

  // A failing third submission keeps state success (Kratos never goes back, §2.1) but shows the error.
  const before = await snapshot(s, user.identityId);
  const bad = await fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "profile", traits: { email: "nope" } }, { "x-session-token": user.token }),
  );
  assert.equal(bad.status, 400);
  const badFlow = await flowOf(bad);
  assert.deepEqual(
    nodeOf(badFlow, "traits.email").messages.map((m) => m.id),
    [4000040],
  );
  assert.deepEqual(globalMessageIds(badFlow), [], "the old success message is gone (§20.5)");
  await assertUnchanged(s, before);
});

test("§4.3 fetching an expired flow: 410 with redirect_to (browser) or api (native) details", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const api = await registerApi(s, "eve@example.com");
  const returnTo = url(s, "/self-service/after");
  const flow = await spaFlow(s, user.jar, `?return_to=${encodeURIComponent(returnTo)}`);
  assert.equal(flow.return_to, returnTo);
  const native = await apiFlow(s, api.token);
  s.clock.advance(HOUR + MINUTE);

  const res = await user.jar.fetch(url(s, `/self-service/settings/flows?id=${flow.id}`), {
    headers: JSON_ACCEPT,
  });
  assert.equal(res.status, 410);
  const error = await errorOf(res);
  assert.equal(
    error.reason,
    "The settings flow has expired. Redirect the user to the settings flow init endpoint to initialize a new settings flow.",
  );
  assert.deepEqual(error.details, {
    redirect_to: `${url(s, "/self-service/settings/browser")}?return_to=${encodeURIComponent(returnTo)}`,
    return_to: returnTo,
  });

  const apiRes = await fetch(url(s, `/self-service/settings/flows?id=${native.id}`), {
    headers: { "x-session-token": api.token },
  });
  assert.equal(apiRes.status, 410);
  const apiError = await errorOf(apiRes);
  assert.deepEqual(apiError.details, { api: url(s, "/self-service/settings/api") });
});

test("§12.1 an expired flow's replacement keeps return_to and the browser lands there on success", async (t) => {
  const s = await server(t, { selfservice: { allowed_return_urls: ["https://app.example/"] } });
  const user = await registerBrowser(s);
  const flow = await browserFlow(s, user.jar, "?return_to=https%3A%2F%2Fapp.example%2Fdone");
  s.clock.advance(HOUR + MINUTE);
  const res = await user.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "profile", "traits.email": "ada@example.com", csrf_token: csrfOf(flow as never) }),
  );
  const replacementId = flowIdFromUiRedirect(s, res);
  const replacement = await fetchFlow(s, user.jar, replacementId);
  assert.equal(replacement.return_to, "https://app.example/done");
  assert.equal(replacement.request_url, flow.request_url, "request_url is copied from the old flow");
  const ok = await user.jar.fetch(
    submitUrl(s, replacementId),
    form({ method: "profile", "traits.email": "ada@example.com", csrf_token: csrfOf(replacement as never) }),
  );
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "https://app.example/done");
});

test("§11.3 after-success targets: per-method URL, then the global after URL, then the settings UI", async (t) => {
  const s = await server(t, {
    selfservice: {
      flows: {
        settings: {
          after: {
            default_browser_return_url: "https://app.example/after",
            profile: { default_browser_return_url: "https://app.example/after-profile" },
          },
        },
      },
    },
  });
  const user = await registerBrowser(s);
  const flow = await browserFlow(s, user.jar);
  const profile = await user.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "profile", "traits.email": "ada@example.com", csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(profile.headers.get("location"), "https://app.example/after-profile");
  const password = await user.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "password", password: "Brand-new-password-4711", csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(password.status, 303);
  assert.equal(password.headers.get("location"), "https://app.example/after");

  const spa = await spaFlow(s, user.jar);
  const res = await sdkResponse(() =>
    sdk(s, user.jar).updateSettingsFlowRaw({
      flow: String(spa.id),
      updateSettingsFlowBody: {
        method: "profile",
        traits: { email: "ada@example.com" },
        csrf_token: csrfOf(spa as never),
      },
    }),
  );
  assert.equal(res.status, 200);
  const done = await flowOf(res);
  assert.deepEqual(done.continue_with, [
    { action: "redirect_browser_to", redirect_browser_to: "https://app.example/after-profile" },
  ]);
});

test("§4.1 return_to must be allowed: 400 JSON / error UI", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const res = await user.jar.fetch(
    url(s, "/self-service/settings/browser?return_to=https%3A%2F%2Fevil.example%2F"),
    { headers: JSON_ACCEPT },
  );
  assert.equal(res.status, 400);
  const error = await errorOf(res);
  assert.equal(error.id, "self_service_flow_return_to_forbidden");
  assert.equal(error.reason, 'Requested return_to URL "https://evil.example/" is not allowed.');
  const html = await user.jar.fetch(
    url(s, "/self-service/settings/browser?return_to=https%3A%2F%2Fevil.example%2F"),
  );
  assert.equal((await storedErrorOf(s, html)).id, "self_service_flow_return_to_forbidden");
  await assertUnchanged(s, before);
});

test("§4.6 /.well-known/change-password and §0.3 the admin listener's 307s", async (t) => {
  const s = await server(t);
  const wk = await fetch(url(s, "/.well-known/change-password"), { redirect: "manual" });
  assert.equal(wk.status, 303);
  assert.equal(wk.headers.get("location"), url(s, "/ui/settings"));

  for (const path of [
    "/self-service/settings/browser?return_to=x",
    "/self-service/settings/api",
    `/self-service/settings/flows?id=${UNKNOWN}`,
    `/self-service/settings?flow=${UNKNOWN}`,
    `/admin/self-service/settings?flow=${UNKNOWN}`,
  ]) {
    const res = await fetch(new URL(path.replace(/^\//, ""), s.adminUrl), { redirect: "manual" });
    assert.equal(res.status, 307, path);
    assert.equal(res.headers.get("location"), url(s, path.replace(/^\/admin/, "")), path);
  }
  const post = await fetch(new URL(`self-service/settings?flow=${UNKNOWN}`, s.adminUrl), {
    ...form({ method: "profile" }),
    redirect: "manual",
  });
  assert.equal(post.status, 307);
});

test("§4.1 browser creation: 303 to the UI with a CSRF cookie and no session cookie; GET responses are not cached", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  // A fresh browser that only has the session cookie (no CSRF cookie yet).
  const jar = new CookieJar();
  jar.cookies.set("ory_kratos_session", user.jar.cookies.get("ory_kratos_session")!);
  const res = await jar.fetch(url(s, "/self-service/settings/browser"));
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("cache-control"), "private, no-cache, no-store, must-revalidate");
  const cookies = res.headers.getSetCookie();
  assert.ok(
    cookies.some((c) => c.startsWith("csrf_token_")),
    "CSRF cookie issued",
  );
  assert.ok(!cookies.some((c) => c.startsWith("ory_kratos_session=")), "no session cookie");
  const id = flowIdFromUiRedirect(s, res);
  const flow = await fetchFlow(s, jar, id);
  assert.equal(flow.type, "browser");
  assert.equal(flow.request_url, url(s, "/self-service/settings/browser"));
  assert.equal((flow.ui as { action: string }).action, url(s, `/self-service/settings?flow=${id}`));
  assert.equal(flow.organization_id, null);
  assert.match(csrfOf(flow as never), /^[A-Za-z0-9+/]{86}==$/, "88-char masked token");

  // The native flow's CSRF node is present but empty.
  const api = await registerApi(s, "eve@example.com");
  const native = await apiFlow(s, api.token);
  assert.equal(nodeOf(native, "csrf_token").attributes.value, "");
});

/** A native password login; returns the new session token. */
async function nativeLogin(s: Parameters<typeof url>[0], email: string): Promise<string> {
  const flow = await bodyOf(await fetch(url(s, "/self-service/login/api")));
  const res = await fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    jsonBody({ method: "password", identifier: email, password: "Tessera-correct-horse-7421" }),
  );
  assert.equal(res.status, 200);
  return String((await bodyOf(res)).session_token);
}

test("§4.4 SPA flows also submit with form encoding + Accept: application/json", async (t) => {
  const s = await server(t);
  const user = await makeActor(s, "spa");
  const flow = await user.newFlow();
  const res = await user.jar!.fetch(submitUrl(s, flow.id), {
    ...form({ method: "profile", "traits.email": "ada@example.com", csrf_token: csrfOf(flow as never) }),
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
  });
  assert.equal(res.status, 200);
  assert.equal((await flowOf(res)).state, "success");
});

test("§4 an expired session or a disabled identity counts as no session", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  const submit = () =>
    fetch(
      submitUrl(s, flow.id),
      jsonBody(
        { method: "profile", traits: { email: "ada@example.com" } },
        { "x-session-token": user.token },
      ),
    );
  const identity = (await s.store.getIdentity(user.identityId))!;
  await s.store.updateIdentity({ ...identity, state: "inactive" });
  const disabled = await submit();
  assert.equal(disabled.status, 401);
  await errorOf(disabled);
  await s.store.updateIdentity({ ...identity, state: "active" });

  s.clock.advance(25 * HOUR); // past session.lifespan (24h)
  const expired = await submit();
  assert.equal(expired.status, 401);
  await errorOf(expired);
  await assertUnchanged(s, before);
});

test("§9.2 a browser post with cookies but without the CSRF cookie: error UI with the reject reason", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await browserFlow(s, user.jar);
  for (const name of [...user.jar.cookies.keys()])
    if (name.startsWith("csrf_token_")) user.jar.cookies.delete(name);
  const res = await user.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "profile", "traits.email": "ada@example.com", csrf_token: csrfOf(flow as never) }),
  );
  const error = await storedErrorOf(s, res);
  assert.equal(error.id, "security_csrf_violation");
  assert.equal(
    (error.details as { reject_reason: string }).reject_reason,
    "The HTTP Cookie Header was set but did not include the anti-CSRF cookie.",
  );
  await assertUnchanged(s, before);
});

test("§4.1 a relative settings ui_url yields relative Locations (init, validation error, success)", async (t) => {
  const s = await server(t, { selfservice: { flows: { settings: { ui_url: "/account/settings" } } } });
  const user = await registerBrowser(s);
  const init = await user.jar.fetch(url(s, "/self-service/settings/browser"));
  assert.equal(init.status, 303);
  const location = init.headers.get("location")!;
  assert.match(location, /^\/account\/settings\?flow=[0-9a-f-]{36}$/);
  const id = new URL(location, s.publicUrl).searchParams.get("flow")!;
  const flow = await fetchFlow(s, user.jar, id);
  const bad = await user.jar.fetch(
    submitUrl(s, id),
    form({ method: "profile", "traits.email": "nope", csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(bad.headers.get("location"), `/account/settings?flow=${id}`);
  const ok = await user.jar.fetch(
    submitUrl(s, id),
    form({ method: "profile", "traits.email": "ada@example.com", csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), `/account/settings?flow=${id}`);
  const wk = await fetch(url(s, "/.well-known/change-password"), { redirect: "manual" });
  assert.equal(wk.headers.get("location"), "/account/settings");
});
