import assert from "node:assert/strict";
import { test } from "node:test";
import { legacySettingsRequest } from "#shared/legacy.ts";
import { assertSchema } from "../helpers/openapi.ts";
import {
  assertUnchanged,
  bodyOf,
  browserFlow,
  type CookieJar,
  canLogin,
  csrfOf,
  fetchFlow,
  form,
  globalMessageIds,
  HOUR,
  hasContinuityCookie,
  JSON_ACCEPT,
  type Json,
  MINUTE,
  NEW_PASSWORD,
  nodeOf,
  PASSWORD,
  server,
  snapshot,
  storedTraits,
  type TestServer,
} from "../settings/helpers.ts";
import {
  adminSettingsRequest,
  initLegacy,
  legacyError,
  legacyStoredError,
  postForm,
  publicSettingsRequest,
  registerSeedUser,
  requestIdFromUiRedirect,
  seedConfig,
  url,
  valuesOf,
} from "./support.ts";

// Seed 000 (v0.2 "settings"): init at /self-service/browser/flows/settings, the request with one form
// per strategy under `methods`, submissions to /self-service/browser/flows/settings/strategies/<name>,
// re-authentication through the old login route with prompt=login and a GET back on the strategy URL.

const strategyUrl = (s: TestServer, method: string, id: string) =>
  url(s, `/self-service/browser/flows/settings/strategies/${method}?request=${id}`);

test("seed 000 walkthrough: init, the request with a form per method, on admin and public", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const id = await initLegacy(s, user.jar, "settings");

  const request = await adminSettingsRequest(s, id);
  assert.equal(request.id, id);
  assert.equal(request.request_url, url(s, "/self-service/browser/flows/settings"));
  assert.equal(request.update_successful, false);
  assert.equal(request.active, undefined);
  assert.deepEqual(Object.keys(request.methods), ["profile", "password"]);

  const profile = request.methods.profile!;
  assert.equal(profile.method, "profile");
  assert.equal(profile.config.action, strategyUrl(s, "profile", id));
  assert.equal(profile.config.method, "POST");
  assert.deepEqual(Object.keys(profile.config.fields), [
    "csrf_token",
    "traits.email",
    "traits.name.first",
    "traits.name.last",
  ]);
  assert.deepEqual(profile.config.fields["traits.name.first"], {
    name: "traits.name.first",
    type: "text",
    value: "Foobar",
  });

  const password = request.methods.password!;
  assert.equal(password.config.action, strategyUrl(s, "password", id));
  assert.deepEqual(Object.keys(password.config.fields), ["csrf_token", "password"]);
  assert.deepEqual(password.config.fields.password, { name: "password", type: "password", required: true });

  // Seed 000 shows the profile form as `form`; it is the same form.
  assert.deepEqual(request.form, profile.config);
  assert.deepEqual(request.identity, {
    id: user.identityId,
    traits_schema_id: "default",
    traits_schema_url: url(s, "/schemas/ZGVmYXVsdA"),
    traits: { email: "foobar@ory.sh", name: { first: "Foobar", last: "Barbaz" } },
  });

  const viaPublic = await publicSettingsRequest(s, user.jar, id);
  assert.deepEqual(Object.keys(viaPublic.methods), ["profile", "password"]);
  assert.equal(viaPublic.identity.id, user.identityId);
});

test("seed 000 example through the profile strategy: too short is an error on name.first, then a valid change is saved", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const before = await snapshot(s, user.identityId);
  const id = await initLegacy(s, user.jar, "settings");
  const request = await publicSettingsRequest(s, user.jar, id);
  const profile = request.methods.profile!.config;

  const bad = await postForm(user.jar, profile.action, {
    ...valuesOf(profile.fields),
    "traits.name.first": "abc",
  });
  assert.equal(requestIdFromUiRedirect(s, bad), id);
  await assertUnchanged(s, before);
  const shown = await publicSettingsRequest(s, user.jar, id);
  assert.equal(shown.active, "profile");
  assert.equal(shown.update_successful, false);
  assert.deepEqual(shown.methods.profile!.config.fields["traits.name.first"], {
    name: "traits.name.first",
    type: "text",
    value: "abc",
    errors: [{ message: "traits.name.first: Must be at least 5 characters long" }],
  });
  assert.deepEqual(shown.form.fields["traits.name.first"]?.errors, [
    { message: "traits.name.first: Must be at least 5 characters long" },
  ]);

  const good = await postForm(user.jar, profile.action, {
    ...valuesOf(shown.methods.profile!.config.fields),
    "traits.name.first": "Barbara",
  });
  assert.equal(requestIdFromUiRedirect(s, good), id);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "foobar@ory.sh",
    name: { first: "Barbara", last: "Barbaz" },
  });
  const done = await publicSettingsRequest(s, user.jar, id);
  assert.equal(done.update_successful, true);
  assert.equal(done.methods.profile!.config.fields["traits.name.first"]?.value, "Barbara");
});

test("v0.2 password strategy on a fresh session changes the password", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const id = await initLegacy(s, user.jar, "settings");
  const password = (await publicSettingsRequest(s, user.jar, id)).methods.password!.config;
  const res = await postForm(user.jar, password.action, {
    ...valuesOf(password.fields),
    password: NEW_PASSWORD,
  });
  assert.equal(requestIdFromUiRedirect(s, res), id);
  assert.equal((await publicSettingsRequest(s, user.jar, id)).update_successful, true);
  assert.equal(await canLogin(s, user.email, NEW_PASSWORD), true);
});

test("v0.2 password change on an old session: old login route with prompt=login, re-auth, resume by GET", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const before = await snapshot(s, user.identityId);
  s.clock.advance(HOUR + MINUTE);
  const id = await initLegacy(s, user.jar, "settings");
  const password = (await publicSettingsRequest(s, user.jar, id)).methods.password!.config;

  const paused = await postForm(user.jar, password.action, {
    ...valuesOf(password.fields),
    password: NEW_PASSWORD,
  });
  assert.equal(paused.status, 302);
  const reauth = new URL(paused.headers.get("location")!);
  assert.equal(`${reauth.origin}${reauth.pathname}`, url(s, "/self-service/browser/flows/login"));
  assert.equal(reauth.searchParams.get("prompt"), "login");
  assert.equal(reauth.searchParams.get("return_to"), strategyUrl(s, "password", id));
  assert.ok(hasContinuityCookie(paused), "the submission is kept for after the login");
  await assertUnchanged(s, before);

  const resumeAt = await refreshLogin(s, user.jar, reauth.toString(), strategyUrl(s, "password", id));
  assert.equal(resumeAt, strategyUrl(s, "password", id));
  assert.equal(await canLogin(s, user.email, PASSWORD), true, "nothing applied before coming back");

  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(requestIdFromUiRedirect(s, resumed), id);
  assert.ok(!user.jar.cookies.has("ory_kratos_continuity"), "the continuity cookie is consumed");
  assert.equal((await publicSettingsRequest(s, user.jar, id)).update_successful, true);
  assert.equal(await canLogin(s, user.email, NEW_PASSWORD), true);
  assert.equal(await canLogin(s, user.email, PASSWORD), false);
});

test("v0.2 e-mail change on an old session goes through re-auth too (protected since v0.2), then applies", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  s.clock.advance(HOUR + MINUTE);
  const id = await initLegacy(s, user.jar, "settings");
  const profile = (await publicSettingsRequest(s, user.jar, id)).methods.profile!.config;
  const paused = await postForm(user.jar, profile.action, {
    ...valuesOf(profile.fields),
    "traits.email": "new@ory.sh",
  });
  assert.equal(paused.status, 302);
  const reauth = paused.headers.get("location")!;
  assert.equal(new URL(reauth).searchParams.get("return_to"), strategyUrl(s, "profile", id));
  assert.equal(((await storedTraits(s, user.identityId)) as Json).email, "foobar@ory.sh");
  const resumeAt = await refreshLogin(s, user.jar, reauth, strategyUrl(s, "profile", id));
  const resumed = await user.jar.fetch(resumeAt);
  assert.equal(requestIdFromUiRedirect(s, resumed), id);
  assert.equal(((await storedTraits(s, user.identityId)) as Json).email, "new@ory.sh");
});

/** Follows the old login route to today's refresh login, signs in again; returns where login sends the browser. */
async function refreshLogin(
  s: TestServer,
  jar: CookieJar,
  oldLoginUrl: string,
  returnTo: string,
): Promise<string> {
  const forwarded = await jar.fetch(oldLoginUrl);
  assert.equal(forwarded.status, 302);
  const init = await jar.fetch(forwarded.headers.get("location")!);
  assert.equal(init.status, 303, await init.clone().text());
  const loginUi = new URL(init.headers.get("location")!);
  assert.equal(`${loginUi.origin}${loginUi.pathname}`, url(s, "/ui/login"));
  const loginFlowId = loginUi.searchParams.get("flow")!;
  const loginFlow = await bodyOf(
    await jar.fetch(url(s, `/self-service/login/flows?id=${loginFlowId}`), { headers: JSON_ACCEPT }),
  );
  assertSchema("loginFlow", loginFlow);
  assert.equal(loginFlow.refresh, true);
  assert.equal(loginFlow.return_to, returnTo);
  const res = await jar.fetch(
    url(s, `/self-service/login?flow=${loginFlowId}`),
    form({
      method: "password",
      identifier: String(nodeOf(loginFlow, "identifier").attributes.value),
      password: PASSWORD,
      csrf_token: csrfOf(loginFlow as never),
    }),
  );
  assert.equal(res.status, 303, await res.clone().text());
  return res.headers.get("location")!;
}

test("v0.2: JSON callers of a strategy get the request JSON (400 with errors) and a 403 to re-authenticate", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const id = await initLegacy(s, user.jar, "settings");
  const profile = (await publicSettingsRequest(s, user.jar, id)).methods.profile!.config;
  const res = await user.jar.fetch(profile.action, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      csrf_token: profile.fields.csrf_token!.value,
      traits: { email: "foobar@ory.sh", name: { first: "abc" } },
    }),
  });
  assert.equal(res.status, 400);
  const body = legacySettingsRequest.parse(await bodyOf(res));
  assert.deepEqual(body.methods.profile!.config.fields["traits.name.first"]?.errors, [
    { message: "traits.name.first: Must be at least 5 characters long" },
  ]);

  s.clock.advance(HOUR + MINUTE);
  const id2 = await initLegacy(s, user.jar, "settings");
  const password = (await publicSettingsRequest(s, user.jar, id2)).methods.password!.config;
  const refresh = await legacyError(
    await user.jar.fetch(password.action, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ csrf_token: password.fields.csrf_token!.value, password: NEW_PASSWORD }),
    }),
    "needsPrivilegedSessionError",
  );
  assert.equal(refresh.status, 403);
  assert.equal(refresh.error.id, "session_refresh_required");
  const to = new URL(String(refresh.body.redirect_browser_to));
  assert.equal(`${to.origin}${to.pathname}`, url(s, "/self-service/browser/flows/login"));
  assert.equal(to.searchParams.get("return_to"), strategyUrl(s, "password", id2));
});

test("v0.2: missing CSRF token on a strategy is refused; nothing saved", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const before = await snapshot(s, user.identityId);
  const id = await initLegacy(s, user.jar, "settings");
  const password = (await publicSettingsRequest(s, user.jar, id)).methods.password!.config;
  const res = await postForm(user.jar, password.action, { password: NEW_PASSWORD });
  const error = await legacyStoredError(s, res);
  assert.equal(error.id, "security_csrf_violation");
  await assertUnchanged(s, before);
});

test("v0.2: another identity's request, expired requests, unknown ids and strategies", async (t) => {
  const s = await server(t, seedConfig());
  const owner = await registerSeedUser(s);
  const other = await registerSeedUser(s, "other@ory.sh");
  const before = await snapshot(s, owner.identityId);
  const id = await initLegacy(s, owner.jar, "settings");
  const request = await adminSettingsRequest(s, id);

  const read = await legacyError(
    await other.jar.fetch(url(s, `/self-service/browser/flows/requests/settings?request=${id}`)),
  );
  assert.equal(read.status, 403);
  assert.equal(read.error.id, "security_identity_mismatch");
  const ownFlow = await browserFlow(s, other.jar);
  const stolen = await postForm(other.jar, request.methods.password!.config.action, {
    csrf_token: csrfOf(ownFlow as never),
    password: NEW_PASSWORD,
  });
  assert.equal((await legacyStoredError(s, stolen)).id, "security_identity_mismatch");
  await assertUnchanged(s, before);

  // An unknown strategy name is "no method" (4010004), shown on the request.
  const profile = request.methods.profile!.config;
  const unknownMethod = await postForm(
    owner.jar,
    strategyUrl(s, "carrier-pigeon", id),
    valuesOf(profile.fields),
  );
  assert.equal(requestIdFromUiRedirect(s, unknownMethod), id);
  assert.equal((await adminSettingsRequest(s, id)).form.errors?.length, 1);

  const missing = "a0b1c2d3-0000-4000-8000-000000000000";
  const admin404 = await legacyError(
    await fetch(new URL(`self-service/browser/flows/requests/settings?request=${missing}`, s.adminUrl)),
  );
  assert.equal(admin404.status, 404);
  const public403 = await legacyError(
    await owner.jar.fetch(url(s, `/self-service/browser/flows/requests/settings?request=bogus`)),
  );
  assert.equal(public403.status, 403);

  s.clock.advance(HOUR + MINUTE);
  const gone = await legacyError(
    await fetch(new URL(`self-service/browser/flows/requests/settings?request=${id}`, s.adminUrl)),
  );
  assert.equal(gone.status, 410);
  const expired = await postForm(owner.jar, profile.action, {
    ...valuesOf(profile.fields),
    "traits.name.first": "Later",
  });
  const replacement = requestIdFromUiRedirect(s, expired);
  assert.notEqual(replacement, id);
  assert.match(
    (await publicSettingsRequest(s, owner.jar, replacement)).form.errors?.[0]?.message ?? "",
    /expired/,
  );
  await assertUnchanged(s, before);
});

test("v0.2 ⇄ today: the same flow through either door", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const oldId = await initLegacy(s, user.jar, "settings");
  const flow = await fetchFlow(s, user.jar, oldId);
  assert.equal(flow.id, oldId);

  const today = await browserFlow(s, user.jar);
  const asOld = await publicSettingsRequest(s, user.jar, String(today.id));
  const profile = asOld.methods.profile!.config;
  const res = await postForm(user.jar, profile.action, {
    ...valuesOf(profile.fields),
    "traits.name.first": "Either",
  });
  assert.equal(requestIdFromUiRedirect(s, res), today.id);
  const now = await fetchFlow(s, user.jar, String(today.id));
  assert.equal(now.state, "success");
  assert.deepEqual(globalMessageIds(now), [1050001]);
});

test("v0.2: a strategy switched off (selfservice.strategies.<name>.enabled: false then) answers 404", async (t) => {
  const s = await server(t, seedConfig({ selfservice: { methods: { profile: { enabled: false } } } }));
  const user = await registerSeedUser(s);
  const before = await snapshot(s, user.identityId);
  const id = await initLegacy(s, user.jar, "settings");
  const request = await publicSettingsRequest(s, user.jar, id);
  assert.deepEqual(Object.keys(request.methods), ["password"]);
  const res = await postForm(user.jar, strategyUrl(s, "profile", id), {
    csrf_token: String(request.methods.password!.config.fields.csrf_token!.value),
    "traits.email": "foobar@ory.sh",
    "traits.name.first": "Changed",
  });
  assert.equal((await legacyStoredError(s, res)).code, 404);
  await assertUnchanged(s, before);
});
