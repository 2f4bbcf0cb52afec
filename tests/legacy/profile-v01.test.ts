import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertUnchanged,
  browserFlow,
  CookieJar,
  csrfOf,
  fetchFlow,
  HOUR,
  JSON_ACCEPT,
  type Json,
  MINUTE,
  registerBrowser,
  server,
  snapshot,
  storedTraits,
} from "../settings/helpers.ts";
import {
  adminProfileRequest,
  initLegacy,
  legacyError,
  legacyStoredError,
  postForm,
  publicProfileRequest,
  registerSeedUser,
  requestIdFromUiRedirect,
  seedConfig,
  url,
  valuesOf,
} from "./support.ts";

// Seed 001 (v0.1 "profile management"), driven as the seed describes it: init → 302 to the profile
// UI with ?request=, the UI fetches the request (admin, or public with cookies), the form posts to
// /self-service/browser/flows/profile/update?request= and the browser comes back to the UI.

test("seed 001 walkthrough: init, fetch on admin and public, the request's shape", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const id = await initLegacy(s, user.jar, "profile");

  const request = await adminProfileRequest(s, id);
  assert.equal(request.id, id);
  assert.equal(request.request_url, url(s, "/self-service/browser/flows/profile"));
  assert.equal(request.update_successful, false);
  assert.equal(request.form.method, "POST");
  assert.equal(request.form.action, url(s, `/self-service/browser/flows/profile/update?request=${id}`));
  // Keyed by name, in the seed's order, with the seed's field shapes.
  assert.deepEqual(Object.keys(request.form.fields), [
    "csrf_token",
    "traits.email",
    "traits.name.first",
    "traits.name.last",
  ]);
  const { csrf_token, ...traits } = request.form.fields;
  assert.equal(csrf_token?.type, "hidden");
  assert.equal(csrf_token?.required, true);
  assert.ok(typeof csrf_token?.value === "string" && csrf_token.value.length > 0);
  assert.deepEqual(traits, {
    "traits.email": { name: "traits.email", type: "text", value: "foobar@ory.sh" },
    "traits.name.first": { name: "traits.name.first", type: "text", value: "Foobar" },
    "traits.name.last": { name: "traits.name.last", type: "text", value: "Barbaz" },
  });
  assert.equal(request.form.errors, undefined);
  assert.deepEqual(request.identity, {
    id: user.identityId,
    traits_schema_id: "default",
    traits_schema_url: url(s, "/schemas/ZGVmYXVsdA"),
    traits: { email: "foobar@ory.sh", name: { first: "Foobar", last: "Barbaz" } },
  });

  // The public listener shows the same request to the browser it belongs to.
  const viaPublic = await publicProfileRequest(s, user.jar, id);
  assert.deepEqual({ ...viaPublic, form: undefined }, { ...request, form: undefined });
  assert.deepEqual(Object.keys(viaPublic.form.fields), Object.keys(request.form.fields));
});

test("seed 001 example: name.first shorter than 5 characters is an error on that field; nothing saved", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const before = await snapshot(s, user.identityId);
  const id = await initLegacy(s, user.jar, "profile");
  const request = await publicProfileRequest(s, user.jar, id);

  const res = await postForm(user.jar, request.form.action, {
    ...valuesOf(request.form.fields),
    "traits.name.first": "abc",
  });
  assert.equal(requestIdFromUiRedirect(s, res), id);
  await assertUnchanged(s, before);

  const shown = await adminProfileRequest(s, id);
  assert.equal(shown.update_successful, false);
  assert.deepEqual(shown.form.fields["traits.name.first"], {
    name: "traits.name.first",
    type: "text",
    value: "abc",
    errors: [{ message: "traits.name.first: Must be at least 5 characters long" }],
  });
  assert.equal(shown.form.fields["traits.email"]?.errors, undefined);
});

test("seed 001: a valid change is saved and the request says update_successful", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const id = await initLegacy(s, user.jar, "profile");
  const request = await publicProfileRequest(s, user.jar, id);

  const res = await postForm(user.jar, request.form.action, {
    ...valuesOf(request.form.fields),
    "traits.name.first": "Barbara",
  });
  assert.equal(requestIdFromUiRedirect(s, res), id);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "foobar@ory.sh",
    name: { first: "Barbara", last: "Barbaz" },
  });
  const done = await publicProfileRequest(s, user.jar, id);
  assert.equal(done.update_successful, true);
  assert.equal(done.form.fields["traits.name.first"]?.value, "Barbara");
  assert.equal(done.form.errors, undefined);
});

test("v0.1: invalid data after a success turns update_successful off again and keeps the saved change", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const id = await initLegacy(s, user.jar, "profile");
  const request = await publicProfileRequest(s, user.jar, id);
  await postForm(user.jar, request.form.action, {
    ...valuesOf(request.form.fields),
    "traits.name.first": "Barbara",
  });
  const again = await publicProfileRequest(s, user.jar, id);
  const res = await postForm(user.jar, again.form.action, {
    ...valuesOf(again.form.fields),
    "traits.name.first": "x",
  });
  assert.equal(requestIdFromUiRedirect(s, res), id);
  const shown = await publicProfileRequest(s, user.jar, id);
  assert.equal(shown.update_successful, false);
  assert.deepEqual(shown.form.fields["traits.name.first"]?.errors, [
    { message: "traits.name.first: Must be at least 5 characters long" },
  ]);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "foobar@ory.sh",
    name: { first: "Barbara", last: "Barbaz" },
  });
});

test("v0.1: no session — init, fetch and submit send the browser to the login UI", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const id = await initLegacy(s, user.jar, "profile");
  const stranger = new CookieJar();

  const init = await stranger.fetch(url(s, "/self-service/browser/flows/profile"));
  assert.equal(init.status, 302);
  assert.equal(init.headers.get("location"), url(s, "/ui/login"));

  const post = await postForm(stranger, url(s, `/self-service/browser/flows/profile/update?request=${id}`), {
    "traits.email": "foobar@ory.sh",
    "traits.name.first": "Mallory",
  });
  assert.equal(post.status, 302);
  assert.equal(post.headers.get("location"), url(s, "/ui/login"));

  // The public request route sent a browser without a session to sign in, too.
  const fetched = await stranger.fetch(url(s, `/self-service/browser/flows/requests/profile?request=${id}`));
  assert.equal(fetched.status, 302);
  assert.equal(fetched.headers.get("location"), url(s, "/ui/login"));
});

test("v0.1: missing CSRF token is refused and nothing is saved", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const before = await snapshot(s, user.identityId);
  const id = await initLegacy(s, user.jar, "profile");
  const request = await publicProfileRequest(s, user.jar, id);
  const { csrf_token: _token, ...values } = valuesOf(request.form.fields);

  const res = await postForm(user.jar, request.form.action, { ...values, "traits.name.first": "Changed" });
  const error = await legacyStoredError(s, res);
  assert.equal(error.id, "security_csrf_violation");
  assert.equal(error.code, 403);
  await assertUnchanged(s, before);
});

test("v0.1: another identity's request can be neither read nor submitted", async (t) => {
  const s = await server(t, seedConfig());
  const owner = await registerSeedUser(s);
  const other = await registerSeedUser(s, "other@ory.sh");
  const before = await snapshot(s, owner.identityId);
  const id = await initLegacy(s, owner.jar, "profile");
  const request = await adminProfileRequest(s, id);

  const read = await legacyError(
    await other.jar.fetch(url(s, `/self-service/browser/flows/requests/profile?request=${id}`)),
  );
  assert.equal(read.status, 403);
  assert.equal(read.error.id, "security_identity_mismatch");

  // The other browser's own CSRF token, so the only thing wrong is whose request it is.
  const ownFlow = await browserFlow(s, other.jar);
  const res = await postForm(other.jar, request.form.action, {
    ...valuesOf(request.form.fields),
    csrf_token: csrfOf(ownFlow as never),
    "traits.name.first": "Mallory",
  });
  const error = await legacyStoredError(s, res);
  assert.equal(error.id, "security_identity_mismatch");
  await assertUnchanged(s, before);
});

test("v0.1: unknown, malformed and missing request ids", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const unknown = "a0b1c2d3-0000-4000-8000-000000000000";

  for (const id of [unknown, "not-a-uuid", ""]) {
    const admin = await legacyError(
      await fetch(new URL(`self-service/browser/flows/requests/profile?request=${id}`, s.adminUrl)),
    );
    assert.equal(admin.status, 404, `admin, request=${id}`);
    // The public endpoint answers 403 instead of 404 so ids cannot be probed (Kratos v0.1/v0.2).
    const pub = await legacyError(
      await user.jar.fetch(url(s, `/self-service/browser/flows/requests/profile?request=${id}`)),
    );
    assert.equal(pub.status, 403, `public, request=${id}`);
  }

  const before = await snapshot(s, user.identityId);
  const notFound = await postForm(
    user.jar,
    url(s, `/self-service/browser/flows/profile/update?request=${unknown}`),
    {
      "traits.email": "foobar@ory.sh",
    },
  );
  assert.equal((await legacyStoredError(s, notFound)).code, 404);
  for (const id of ["not-a-uuid", ""]) {
    const malformed = await postForm(
      user.jar,
      url(s, `/self-service/browser/flows/profile/update?request=${id}`),
      {
        "traits.email": "foobar@ory.sh",
      },
    );
    assert.equal((await legacyStoredError(s, malformed)).code, 400, `request=${id}`);
  }
  await assertUnchanged(s, before);
});

test("v0.1: an expired request is replaced by a new one with the expiry message; nothing saved", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);
  const before = await snapshot(s, user.identityId);
  const id = await initLegacy(s, user.jar, "profile");
  const request = await publicProfileRequest(s, user.jar, id);
  s.clock.advance(HOUR + MINUTE);

  const expired = await legacyError(
    await user.jar.fetch(url(s, `/self-service/browser/flows/requests/profile?request=${id}`)),
  );
  assert.equal(expired.status, 410);

  const res = await postForm(user.jar, request.form.action, {
    ...valuesOf(request.form.fields),
    "traits.name.first": "Changed",
  });
  const replacement = requestIdFromUiRedirect(s, res);
  assert.notEqual(replacement, id);
  await assertUnchanged(s, before);
  const shown = await publicProfileRequest(s, user.jar, replacement);
  assert.equal(shown.form.errors?.length, 1);
  assert.match(shown.form.errors![0]!.message, /expired/);
});

test("v0.1 ⇄ today: a request made through the old route is today's flow, and the other way round", async (t) => {
  const s = await server(t, seedConfig());
  const user = await registerSeedUser(s);

  const oldId = await initLegacy(s, user.jar, "profile");
  const flow = await fetchFlow(s, user.jar, oldId);
  assert.equal(flow.id, oldId);
  assert.equal(flow.state, "show_form");

  const today = await browserFlow(s, user.jar);
  const asOld = await publicProfileRequest(s, user.jar, String(today.id));
  assert.equal(asOld.id, today.id);
  assert.equal(asOld.form.fields.csrf_token?.value !== undefined, true);

  // A change submitted through the old door shows as a success through today's.
  const res = await postForm(user.jar, asOld.form.action, {
    ...valuesOf(asOld.form.fields),
    "traits.name.first": "Through",
  });
  assert.equal(requestIdFromUiRedirect(s, res), today.id);
  const now = await fetchFlow(s, user.jar, String(today.id));
  assert.equal(now.state, "success");
  assert.deepEqual(
    ((now.ui as Json).messages as Json[]).map((m) => m.id),
    [1050001],
  );
  const res2 = await user.jar.fetch(url(s, `/self-service/settings/flows?id=${oldId}`), {
    headers: JSON_ACCEPT,
  });
  assert.equal(res2.status, 200);
});

test("the legacy door can be switched off", async (t) => {
  const s = await server(t, seedConfig({ legacy: { enabled: false } }));
  const user = await registerBrowser(s, "ada@example.com", { "traits.name.first": "Adaline" });
  for (const path of [
    "/self-service/browser/flows/profile",
    "/self-service/browser/flows/settings",
    "/self-service/browser/flows/requests/profile?request=a0b1c2d3-0000-4000-8000-000000000000",
  ]) {
    const res = await user.jar.fetch(url(s, path));
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
  const admin = await fetch(
    new URL(
      "self-service/browser/flows/requests/settings?request=a0b1c2d3-0000-4000-8000-000000000000",
      s.adminUrl,
    ),
  );
  assert.equal(admin.status, 404);
  await admin.body?.cancel();
});
