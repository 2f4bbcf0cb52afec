import assert from "node:assert/strict";
import { test } from "node:test";
import { createTesseraAdminClient } from "../../client/index.ts";
import { assertSchema } from "../helpers/openapi.ts";
import type { TestServer } from "../helpers/server.ts";
import { client, PASSWORD, server, traits, trpcError } from "./support.ts";

function admin(s: TestServer, prefix = "") {
  return createTesseraAdminClient({ url: new URL(prefix, s.adminUrl).toString() });
}

async function adminRest(s: TestServer, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (init.body) headers.set("content-type", "application/json");
  const res = await fetch(new URL(path.replace(/^\//, ""), s.adminUrl), { ...init, headers });
  return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as unknown) };
}

test("admin identities: create (with a password), get, list, update, patch, delete", async (t) => {
  const s = await server(t);
  const api = admin(s);
  const created = await api.identities.create.mutate({
    traits: traits(),
    credentials: { password: { config: { password: PASSWORD } } },
  });
  assertSchema("identity", created);
  assert.equal(created.traits.email, "ada@example.com");

  // The password works through the public tRPC API.
  const trpc = client(s);
  const flow = await trpc.login.create.mutate({ type: "api" });
  const login = await trpc.login.submit.mutate({
    flow: flow.id,
    body: { method: "password", identifier: "ada@example.com", password: PASSWORD },
  });
  assert.equal(login.status, "success");

  const got = await api.identities.get.query({ id: created.id, includeCredential: ["password"] });
  assert.ok(got.credentials?.password, "credentials included");
  const rest = await adminRest(s, `/admin/identities/${created.id}?include_credential=password`);
  assert.deepEqual(got, rest.body, "same JSON as REST");

  await api.identities.create.mutate({ traits: traits("grace@example.com") });
  const page = await api.identities.list.query({ pageSize: 1 });
  assert.equal(page.identities.length, 1);
  assert.ok(page.nextPageToken);
  const next = await api.identities.list.query({ pageSize: 1, pageToken: page.nextPageToken });
  assert.equal(next.identities.length, 1);
  assert.notEqual(next.identities[0]!.id, page.identities[0]!.id);
  const all = await api.identities.list.query();
  assert.equal(all.identities.length, 2);
  const byEmail = await api.identities.list.query({ credentialsIdentifier: "ADA@example.com" });
  assert.deepEqual(
    byEmail.identities.map((i) => i.id),
    [created.id],
  );

  const updated = await api.identities.update.mutate({
    id: created.id,
    body: {
      traits: { ...traits(), name: { first: "Augusta", last: "King" } },
      metadata_public: { plan: "pro" },
    },
  });
  assert.deepEqual(updated.metadata_public, { plan: "pro" });
  const patched = await api.identities.patch.mutate({
    id: created.id,
    patch: [{ op: "replace", path: "/state", value: "inactive" }],
  });
  assert.equal(patched.state, "inactive");

  await api.identities.delete.mutate({ id: created.id });
  const gone = await trpcError(api.identities.get.query({ id: created.id }));
  assert.equal(gone.data.code, "NOT_FOUND");
  assert.equal(gone.data.kratos.error.code, 404);
});

test("admin: a bad body is the same 400 through both doors; /admin/trpc works too", async (t) => {
  const s = await server(t);
  const body = { traits: { email: "not-an-email" } };
  const err = await trpcError(admin(s).identities.create.mutate(body));
  assert.equal(err.data.code, "BAD_REQUEST");
  const rest = await adminRest(s, "/admin/identities", { method: "POST", body: JSON.stringify(body) });
  assert.equal(rest.status, 400);
  assert.deepEqual(err.data.kratos, rest.body);

  const unknownKey = { traits: traits(), nope: 1 } as never;
  const err2 = await trpcError(admin(s).identities.create.mutate(unknownKey));
  const rest2 = await adminRest(s, "/admin/identities", { method: "POST", body: JSON.stringify(unknownKey) });
  assert.deepEqual(err2.data.kratos, rest2.body);

  const viaPrefix = await admin(s, "admin/").identities.create.mutate({ traits: traits("b@example.com") });
  const list = await admin(s).identities.list.query();
  assert.deepEqual(
    list.identities.map((i) => i.id),
    [viaPrefix.id],
  );
});

test("admin sessions: list an identity's sessions, disable one, delete them all", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const flow = await trpc.registration.create.mutate({ type: "api" });
  const reg = await trpc.registration.submit.mutate({
    flow: flow.id,
    body: { method: "password", password: PASSWORD, traits: traits() },
  });
  assert.equal(reg.status, "success");
  if (reg.status !== "success") return;
  const api = admin(s);
  const { sessions } = await api.identities.sessions.query({ id: reg.identity.id });
  assert.deepEqual(
    sessions.map((x) => x.id),
    [reg.session!.id],
  );
  const one = await api.sessions.get.query({ id: reg.session!.id, expand: ["identity"] });
  assert.equal(one.identity?.id, reg.identity.id);
  await api.sessions.disable.mutate({ id: reg.session!.id });
  const me = client(s, { sessionToken: reg.session_token! });
  assert.equal((await trpcError(me.session.whoami.query())).data.kratos.error.id, "session_inactive");
  await api.identities.deleteSessions.mutate({ id: reg.identity.id });
  assert.deepEqual((await api.identities.sessions.query({ id: reg.identity.id })).sessions, []);
});

test("the public listener does not serve the admin router", async (t) => {
  const s = await server(t);
  const res = await fetch(new URL("trpc/identities.list", s.publicUrl));
  assert.equal(res.status, 404);
  const json = (await res.json()) as { error: { data: { kratos: { error: { code: number } } } } };
  assert.equal(json.error.data.kratos.error.code, 404);
});
