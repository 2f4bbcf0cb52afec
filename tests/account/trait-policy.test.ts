import assert from "node:assert/strict";
import { test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import {
  apiFlow,
  bodyOf,
  CookieJar,
  csrfOf,
  form,
  HOUR,
  JSON_ACCEPT,
  type Json,
  nodeOf,
  nodesOf,
  onlySchema,
  PASSWORD,
  postWithToken,
  server,
  spaFlow,
  url,
} from "../settings/helpers.ts";

// docs/account-features.md: per-trait rules under "tessera.dev/policy", beside "ory.sh/kratos".

const SCHEMA = {
  $id: "https://example.com/policy.schema.json",
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    traits: {
      type: "object",
      properties: {
        email: {
          type: "string",
          format: "email",
          title: "E-Mail",
          "ory.sh/kratos": { credentials: { password: { identifier: true } } },
        },
        nickname: { type: "string", title: "Nickname", "tessera.dev/policy": { read_only: true } },
        tier: { type: "string", title: "Tier", "tessera.dev/policy": { admin_only: true } },
        legal_name: { type: "string", title: "Legal name", "tessera.dev/policy": { privileged: true } },
        city: { type: "string", title: "City" },
      },
      required: ["email"],
      additionalProperties: false,
    },
  },
};

const config = onlySchema("policy", SCHEMA);

async function registerNative(s: Awaited<ReturnType<typeof server>>, traits: Json) {
  const flow = await bodyOf(await fetch(url(s, "/self-service/registration/api")));
  const res = await fetch(url(s, `/self-service/registration?flow=${flow.id}`), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ method: "password", password: PASSWORD, traits }),
  });
  return { res, body: await bodyOf(res) };
}

async function adminIdentity(s: Awaited<ReturnType<typeof server>>, id: string): Promise<Json> {
  return bodyOf(await fetch(new URL(`admin/identities/${id}`, s.adminUrl)));
}

async function adminSetTier(s: Awaited<ReturnType<typeof server>>, id: string, tier: string) {
  const res = await fetch(new URL(`admin/identities/${id}`, s.adminUrl), {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ op: "add", path: "/traits/tier", value: tier }]),
  });
  assert.equal(res.status, 200, await res.clone().text());
}

test("registration: read-only traits are set at sign-up; admin-only traits have no field and are refused", async (t) => {
  const s = await server(t, config);
  const flow = await bodyOf(await fetch(url(s, "/self-service/registration/api")));
  const names = nodesOf(flow).map((n) => n.attributes.name);
  assert.ok(names.includes("traits.nickname"), "read-only trait offered at sign-up");
  assert.ok(!names.includes("traits.tier"), "admin-only trait not offered");

  const refused = await registerNative(s, { email: "ada@example.com", tier: "gold" });
  assert.equal(refused.res.status, 400);
  assert.deepEqual(
    nodeOf(refused.body, "traits.tier").messages.map((m) => m.id),
    [4900002],
  );
  const list = await bodyOf(await fetch(new URL("admin/identities", s.adminUrl)));
  assert.equal((list as unknown as unknown[]).length, 0, "nothing created");

  const ok = await registerNative(s, { email: "ada@example.com", nickname: "ada" });
  assert.equal(ok.res.status, 200, JSON.stringify(ok.body));
  assert.deepEqual((ok.body.identity as Json).traits, { email: "ada@example.com", nickname: "ada" });
});

test("settings: read-only is disabled and refused when changed, admin-only is hidden and kept, nothing written", async (t) => {
  const s = await server(t, config);
  const reg = await registerNative(s, { email: "ada@example.com", nickname: "ada", city: "London" });
  const token = reg.body.session_token as string;
  const id = (reg.body.identity as Json).id as string;
  await adminSetTier(s, id, "gold");

  const flow = await apiFlow(s, token);
  assertSchema("settingsFlow", flow);
  assert.equal(nodeOf(flow, "traits.nickname").attributes.disabled, true);
  assert.equal(nodeOf(flow, "traits.city").attributes.disabled, false);
  assert.ok(
    !nodesOf(flow).some((n) => n.attributes.name === "traits.tier"),
    "no node for the admin-only trait",
  );
  assert.equal(((flow.identity as Json).traits as Json).tier, undefined, "admin-only trait not shown");
  const whoami = await bodyOf(
    await fetch(url(s, "/sessions/whoami"), { headers: { "x-session-token": token } }),
  );
  assert.equal(((whoami.identity as Json).traits as Json).tier, undefined, "nor in whoami");

  // Changing the read-only trait is refused on its field; nothing is written.
  const readOnly = await postWithToken(s, token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", nickname: "countess", city: "Paris" },
  });
  assert.equal(readOnly.status, 400);
  const refusedFlow = await bodyOf(readOnly);
  assert.deepEqual(
    nodeOf(refusedFlow, "traits.nickname").messages.map((m) => m.id),
    [4900001],
  );
  assert.equal(((await adminIdentity(s, id)).traits as Json).city, "London");

  // Submitting the admin-only trait is refused too.
  const adminOnly = await postWithToken(s, token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", nickname: "ada", tier: "platinum", city: "Paris" },
  });
  assert.equal(adminOnly.status, 400);
  assert.equal(((await adminIdentity(s, id)).traits as Json).tier, "gold");

  // A change that leaves both out keeps them (the person never had fields for them).
  const ok = await postWithToken(s, token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", city: "Paris" },
  });
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.deepEqual((await adminIdentity(s, id)).traits, {
    email: "ada@example.com",
    nickname: "ada",
    tier: "gold",
    city: "Paris",
  });
  // The admin API still writes the admin-only trait.
  await adminSetTier(s, id, "silver");
  assert.equal(((await adminIdentity(s, id)).traits as Json).tier, "silver");
});

test("settings: a privileged trait needs a recent session (403 for apps, refresh login for browsers)", async (t) => {
  const s = await server(t, config);
  const reg = await registerNative(s, { email: "ada@example.com", legal_name: "Ada King" });
  const token = reg.body.session_token as string;
  const id = (reg.body.identity as Json).id as string;
  s.clock.advance(2 * HOUR);

  const flow = await apiFlow(s, token);
  const res = await postWithToken(s, token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", legal_name: "Augusta Ada King" },
  });
  assert.equal(res.status, 403);
  assert.equal(((await bodyOf(res)).error as Json).id, "session_refresh_required");
  assert.equal(((await adminIdentity(s, id)).traits as Json).legal_name, "Ada King");

  // Other traits stay editable on the old session.
  const other = await postWithToken(s, token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", legal_name: "Ada King", city: "London" },
  });
  assert.equal(other.status, 200, await other.clone().text());
});

test("a browser form that changes a read-only trait comes back with the message and writes nothing", async (t) => {
  const s = await server(t, config);
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/registration/browser"), { headers: JSON_ACCEPT });
  const reg = await bodyOf(init);
  const created = await jar.fetch(
    url(s, `/self-service/registration?flow=${reg.id}`),
    form({
      method: "password",
      password: PASSWORD,
      "traits.email": "ada@example.com",
      "traits.nickname": "ada",
      csrf_token: csrfOf(reg as never),
    }),
  );
  assert.equal(created.status, 303, await created.clone().text());
  const flow = await spaFlow(s, jar);
  const res = await jar.fetch(url(s, `/self-service/settings?flow=${flow.id}`), {
    ...form({
      method: "profile",
      "traits.email": "ada@example.com",
      "traits.nickname": "other",
      csrf_token: csrfOf(flow as never),
    }),
    headers: { ...JSON_ACCEPT, "content-type": "application/x-www-form-urlencoded" },
  });
  assert.equal(res.status, 400);
  const body = await bodyOf(res);
  assert.deepEqual(
    nodeOf(body, "traits.nickname").messages.map((m) => m.id),
    [4900001],
  );
});

test("a malformed policy stops the server at start with the trait's name", async () => {
  const { startTestServer } = await import("../helpers/server.ts");
  const bad = structuredClone(SCHEMA) as Json;
  ((bad.properties as Json).traits as { properties: Json }).properties.city = {
    type: "string",
    "tessera.dev/policy": { readonly: true },
  };
  await assert.rejects(startTestServer(onlySchema("bad", bad)), /traits\.city.*"readonly"/);
});
