import assert from "node:assert/strict";
import { test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import {
  apiFlow,
  assertUnchanged,
  bodyOf,
  CookieJar,
  csrfOf,
  globalMessageIds,
  HOUR,
  JSON_ACCEPT,
  type Json,
  jsonBody,
  NEW_PASSWORD,
  nodeOf,
  PASSWORD,
  postWithToken,
  registerApi,
  registerBrowser,
  server,
  snapshot,
  spaFlow,
  url,
} from "../settings/helpers.ts";
import { client } from "../trpc/support.ts";

// docs/account-features.md: `dry_run` validates and answers with the flow, and writes nothing.

test("settings dry run: a valid change answers 200 with 1900001 and stores nothing, the flow included", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, `${flow.id}&dry_run=true`, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: "Augusta", last: "Lovelace" } },
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await bodyOf(res);
  assertSchema("settingsFlow", body);
  assert.deepEqual(globalMessageIds(body), [1900001]);
  assert.equal(body.state, "show_form");
  assert.equal(nodeOf(body, "traits.name.first").attributes.value, "Augusta", "the submission is echoed");
  await assertUnchanged(s, before);
  const stored = await s.store.getFlow(flow.id as string);
  assert.deepEqual(stored?.ui, (flow as Json).ui, "the stored flow is untouched");
});

test("settings dry run: invalid values come back on their fields (400), nothing stored; body field form", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    dry_run: true,
    traits: { email: "not-an-email", name: { first: "Ada", last: "Lovelace" } },
  });
  assert.equal(res.status, 400);
  const body = await bodyOf(res);
  assert.ok(nodeOf(body, "traits.email").messages.length > 0);
  await assertUnchanged(s, before);
  const stored = await s.store.getFlow(flow.id as string);
  assert.deepEqual(stored?.ui, (flow as Json).ui, "the stored flow keeps no messages from a dry run");
  // A real submission afterwards still works.
  const real = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: "Augusta", last: "Lovelace" } },
  });
  assert.equal(real.status, 200);
});

test("settings dry run of a password: checks the policy, hashes nothing, asks for no refresh, writes nothing", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  s.clock.advance(2 * HOUR);
  const flow = await apiFlow(s, user.token);
  const weak = await postWithToken(s, user.token, `${flow.id}&dry_run=1`, {
    method: "password",
    password: "ada@example.com",
  });
  assert.equal(weak.status, 400);
  assert.ok(nodeOf(await bodyOf(weak), "password").messages.length > 0, "policy message on the field");
  const strong = await postWithToken(s, user.token, `${flow.id}&dry_run=1`, {
    method: "password",
    password: NEW_PASSWORD,
  });
  assert.equal(strong.status, 200, await strong.clone().text());
  await assertUnchanged(s, before);
});

test("settings dry run still needs the CSRF token for browsers", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const flow = await spaFlow(s, user.jar);
  const res = await user.jar.fetch(
    url(s, `/self-service/settings?flow=${flow.id}&dry_run=true`),
    jsonBody(
      { method: "profile", traits: { email: "ada@example.com", name: { first: "X", last: "Y" } } },
      JSON_ACCEPT,
    ),
  );
  assert.equal(res.status, 403);
  assert.equal(((await bodyOf(res)).error as Json).id, "security_csrf_violation");
  const ok = await user.jar.fetch(
    url(s, `/self-service/settings?flow=${flow.id}&dry_run=true`),
    jsonBody(
      {
        method: "profile",
        csrf_token: csrfOf(flow as never),
        traits: { email: "ada@example.com", name: { first: "X", last: "Y" } },
      },
      JSON_ACCEPT,
    ),
  );
  assert.equal(ok.status, 200, await ok.clone().text());
});

test("registration dry run: validates traits and password, creates no identity, and the flow stays usable", async (t) => {
  const s = await server(t);
  const flow = await bodyOf(await fetch(url(s, "/self-service/registration/api")));
  const submit = (body: Json, query = "") =>
    fetch(url(s, `/self-service/registration?flow=${flow.id}${query}`), jsonBody(body, JSON_ACCEPT));
  const traits = { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" } };

  const bad = await submit(
    { method: "password", password: PASSWORD, traits: { ...traits, email: "nope" } },
    "&dry_run=true",
  );
  assert.equal(bad.status, 400);
  const good = await submit({ method: "password", password: PASSWORD, traits, dry_run: "true" });
  assert.equal(good.status, 200, await good.clone().text());
  const body = await bodyOf(good);
  assertSchema("registrationFlow", body);
  assert.deepEqual(globalMessageIds(body), [1900001]);
  const list = (await bodyOf(await fetch(new URL("admin/identities", s.adminUrl)))) as unknown as unknown[];
  assert.equal(list.length, 0, "no identity created");

  const real = await submit({ method: "password", password: PASSWORD, traits });
  assert.equal(real.status, 200, "the flow was not used up by the dry run");
  assert.ok((await bodyOf(real)).session_token);
});

test("dry run with a jar-less browser form is answered like any form post (no write)", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/registration/browser"), { headers: JSON_ACCEPT });
  const flow = await bodyOf(init);
  const res = await jar.fetch(url(s, `/self-service/registration?flow=${flow.id}&dry_run=true`), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      method: "password",
      password: PASSWORD,
      "traits.email": "ada@example.com",
      csrf_token: csrfOf(flow as never),
    }),
  });
  assert.equal(res.status, 303);
  assert.ok(!jar.cookies.has("ory_kratos_session"), "no session from a dry run");
  const list = (await bodyOf(await fetch(new URL("admin/identities", s.adminUrl)))) as unknown as unknown[];
  assert.equal(list.length, 0);
});

// tRPC: `dryRun` on `settings.submit` and `registration.submit` is REST's `dry_run`.

type TrpcNode = { attributes: { name?: string; value?: unknown }; messages: { id: number }[] };
const trpcNode = (flow: { ui: { nodes: unknown[] } }, name: string) =>
  (flow.ui.nodes as TrpcNode[]).find((n) => n.attributes.name === name);

test("tRPC settings.submit with dryRun: field messages come back, nothing is written (admin API)", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const trpc = client(s, { sessionToken: user.token });
  const flow = await trpc.settings.create.mutate({ type: "api" });

  const bad = await trpc.settings.submit.mutate({
    flow: flow.id,
    dryRun: true,
    body: { method: "profile", traits: { email: "not-an-email", name: { first: "Ada", last: "Lovelace" } } },
  });
  assert.equal(bad.status, "form");
  if (bad.status !== "form") throw new Error("unreachable");
  assert.ok(
    trpcNode(bad.flow, "traits.email")!.messages.some((m) => m.id === 4000040),
    JSON.stringify(trpcNode(bad.flow, "traits.email")),
  );

  const good = await trpc.settings.submit.mutate({
    flow: flow.id,
    dryRun: true,
    body: {
      method: "profile",
      traits: { email: "augusta@example.com", name: { first: "Augusta", last: "L" } },
    },
  });
  assert.equal(good.status, "form", "a dry run never succeeds");
  if (good.status !== "form") throw new Error("unreachable");
  assert.deepEqual(globalMessageIds(good.flow as never), [1900001]);
  assert.equal(trpcNode(good.flow, "traits.email")!.attributes.value, "augusta@example.com");

  const password = await trpc.settings.submit.mutate({
    flow: flow.id,
    dryRun: true,
    body: { method: "password", password: NEW_PASSWORD },
  });
  assert.equal(password.status, "form");
  await assertUnchanged(s, before);
  const stored = await s.store.getFlow(flow.id);
  assert.deepEqual(stored?.ui, flow.ui, "the stored flow is untouched");

  // `dryRun: false` wins over a `dry_run` in the body: this one is saved.
  const real = await trpc.settings.submit.mutate({
    flow: flow.id,
    dryRun: false,
    body: {
      method: "profile",
      dry_run: true,
      traits: { email: "ada@example.com", name: { first: "Augusta", last: "L" } },
    } as never,
  });
  assert.equal(real.status, "success");
  const saved = (await snapshot(s, user.identityId)).traits as { name?: { first?: string } };
  assert.equal(saved.name?.first, "Augusta");
});

test("tRPC registration.submit with dryRun: field messages, 1900001, no identity (admin API)", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const flow = await trpc.registration.create.mutate({ type: "api" });
  const traits = { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" } };
  const identities = async () =>
    (await bodyOf(await fetch(new URL("admin/identities", s.adminUrl)))) as unknown as unknown[];

  const bad = await trpc.registration.submit.mutate({
    flow: flow.id,
    dryRun: true,
    body: { method: "password", password: PASSWORD, traits: { ...traits, email: "nope" } },
  });
  assert.equal(bad.status, "form");
  if (bad.status !== "form") throw new Error("unreachable");
  assert.ok(trpcNode(bad.flow, "traits.email")!.messages.length > 0, "the address is refused on its field");
  const weak = await trpc.registration.submit.mutate({
    flow: flow.id,
    dryRun: true,
    body: { method: "password", password: "short", traits },
  });
  if (weak.status !== "form") throw new Error(`expected the form, got ${weak.status}`);
  assert.ok(trpcNode(weak.flow, "password")!.messages.length > 0, "the password is refused on its field");

  const good = await trpc.registration.submit.mutate({
    flow: flow.id,
    dryRun: true,
    body: { method: "password", password: PASSWORD, traits },
  });
  assert.equal(good.status, "form");
  if (good.status !== "form") throw new Error("unreachable");
  assert.deepEqual(globalMessageIds(good.flow as never), [1900001]);
  assert.equal((await identities()).length, 0, "no identity created");

  const real = await trpc.registration.submit.mutate({
    flow: flow.id,
    body: { method: "password", password: PASSWORD, traits },
  });
  assert.equal(real.status, "success", "the flow was not used up by the dry run");
  assert.equal((await identities()).length, 1);
});
