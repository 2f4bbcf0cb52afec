import assert from "node:assert/strict";
import { test } from "node:test";
import bcrypt from "bcrypt";
import { assertSchema } from "../helpers/openapi.ts";
import {
  adminFetch,
  adminServer,
  allIdentityIds,
  loginNative,
  nextPageToken,
  PASSWORD,
  person,
  sdkError,
  wire,
  wireList,
} from "./support.ts";

/** The admin identity API driven through Kratos's official SDK (`IdentityApi`). */

test("create with a plaintext password: 201, Location, admin JSON without secrets, and the password works", async (t) => {
  const { server, api } = await adminServer(t);
  const res = await api.createIdentityRaw({
    createIdentityBody: {
      ...person("ada@example.org"),
      metadata_public: { plan: "pro" },
      metadata_admin: { note: "vip" },
      credentials: { password: { config: { password: PASSWORD } } },
    },
  });
  const { json, value, raw } = await wire(res, "identity");
  assert.equal(raw.status, 201);
  assert.equal(raw.headers.get("location"), `${server.adminUrl}admin/identities/${value.id}`);
  assert.equal(value.schema_id, "default");
  assert.equal(value.state, "active");
  assert.deepEqual(value.traits, { email: "ada@example.org", name: { first: "Ada", last: "Lovelace" } });
  assert.deepEqual(json.metadata_public, { plan: "pro" });
  assert.deepEqual(json.metadata_admin, { note: "vip" });
  const password = (json.credentials as Record<string, Record<string, unknown>>).password!;
  assert.deepEqual(password.identifiers, ["ada@example.org"]);
  assert.equal("config" in password, false, "no config unless include_credential asks for it");
  assert.equal(value.verifiable_addresses?.[0]?.status, "pending");
  assert.equal(value.recovery_addresses?.[0]?.value, "ada@example.org");

  const login = await loginNative(server, "ada@example.org", PASSWORD);
  assert.equal(login.status, 200, JSON.stringify(login.body));
});

test("create with an imported bcrypt hash: the original password signs in through the public API", async (t) => {
  const { server, api } = await adminServer(t);
  const hashed = bcrypt.hashSync("imported-secret-9931", 4);
  const { value } = await wire(
    await api.createIdentityRaw({
      createIdentityBody: {
        ...person("grace@example.org", "Grace"),
        credentials: { password: { config: { hashed_password: hashed } } },
      },
    }),
    "identity",
  );

  const ok = await loginNative(server, "Grace@Example.org", "imported-secret-9931");
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((ok.body.session as { identity: { id: string } }).identity.id, value.id);
  assert.match(String(ok.body.session_token), /^ory_st_/);

  const wrong = await loginNative(server, "grace@example.org", "not-the-password-1234");
  assert.equal(wrong.status, 400);
});

test("get: include_credential=password adds the hash, without it no config is shown", async (t) => {
  const { api } = await adminServer(t);
  const hashed = bcrypt.hashSync("imported-secret-9931", 4);
  const created = await api.createIdentity({
    createIdentityBody: {
      ...person("ada@example.org"),
      credentials: { password: { config: { hashed_password: hashed } } },
    },
  });

  const plain = await wire(await api.getIdentityRaw({ id: created.id }), "identity");
  assert.equal(plain.json.id, created.id);
  const plainPassword = (plain.json.credentials as Record<string, Record<string, unknown>>).password!;
  assert.equal("config" in plainPassword, false);
  assert.equal("metadata_admin" in plain.json, true, "admin JSON carries metadata_admin");

  const withHash = await wire(
    await api.getIdentityRaw({ id: created.id, includeCredential: ["password"] }),
    "identity",
  );
  const config = (withHash.json.credentials as Record<string, Record<string, unknown>>).password!.config;
  assert.deepEqual(config, { hashed_password: hashed });

  const body = await sdkError(
    api.getIdentity({ id: created.id, includeCredential: ["bogus" as "password"] }),
    400,
  );
  assert.match(body.error.reason ?? "", /include_credential/);
});

test("list: page_size=2 walks 5 identities over 3 pages with Link rel=next/first", async (t) => {
  const { server, api } = await adminServer(t);
  const created: string[] = [];
  for (let i = 0; i < 5; i++) {
    created.push((await api.createIdentity({ createIdentityBody: person(`user${i}@example.org`) })).id);
  }

  const pages: string[][] = [];
  let pageToken: string | undefined;
  do {
    const res = await api.listIdentitiesRaw({ pageSize: 2, ...(pageToken ? { pageToken } : {}) });
    const { value, raw } = await wireList(res, "identity");
    pages.push(value.map((i) => i.id));
    const link = raw.headers.get("link") ?? "";
    assert.match(link, new RegExp(`<${server.adminUrl}admin/identities\\?page_size=2>; rel="first"`));
    pageToken = nextPageToken(link);
    if (pageToken) assert.match(link, /page_size=2&page_token=[0-9a-f-]{36}>; rel="next"/);
  } while (pageToken);

  assert.deepEqual(
    pages.map((p) => p.length),
    [2, 2, 1],
  );
  assert.deepEqual(pages.flat(), [...created].sort(), "every identity exactly once, in id order");
});

test("list: legacy page/per_page pagination maps onto the same order", async (t) => {
  const { api } = await adminServer(t);
  for (let i = 0; i < 3; i++)
    await api.createIdentity({ createIdentityBody: person(`user${i}@example.org`) });
  const all = await allIdentityIds(api);
  const first = await api.listIdentitiesRaw({ perPage: 2, page: 1 });
  const second = await api.listIdentitiesRaw({ perPage: 2, page: 2 });
  assert.deepEqual(
    (await first.value()).map((i) => i.id),
    all.slice(0, 2),
  );
  assert.match(first.raw.headers.get("link") ?? "", /page=2&per_page=2>; rel="next"/);
  assert.deepEqual(
    (await second.value()).map((i) => i.id),
    all.slice(2),
  );
  assert.doesNotMatch(second.raw.headers.get("link") ?? "", /rel="next"/);
});

test("list: credentials_identifier filters exactly (normalised like identifiers); ids filter too", async (t) => {
  const { api } = await adminServer(t);
  const ada = await api.createIdentity({
    createIdentityBody: {
      ...person("ada@example.org"),
      credentials: { password: { config: { password: PASSWORD } } },
    },
  });
  const grace = await api.createIdentity({
    createIdentityBody: {
      ...person("grace@example.org"),
      credentials: { password: { config: { password: PASSWORD } } },
    },
  });

  const exact = await wireList(
    await api.listIdentitiesRaw({ credentialsIdentifier: "ada@example.org" }),
    "identity",
  );
  assert.deepEqual(
    exact.value.map((i) => i.id),
    [ada.id],
  );
  const folded = await api.listIdentities({ credentialsIdentifier: "  ADA@Example.ORG " });
  assert.deepEqual(
    folded.map((i) => i.id),
    [ada.id],
  );
  assert.deepEqual(
    await api.listIdentities({ credentialsIdentifier: "ada@example" }),
    [],
    "no partial match",
  );

  const byIds = await api.listIdentities({ ids: [grace.id, "not-a-uuid", crypto.randomUUID()] });
  assert.deepEqual(
    byIds.map((i) => i.id),
    [grace.id],
  );

  const combined = await sdkError(
    api.listIdentities({ ids: [ada.id], credentialsIdentifier: "ada@example.org" }),
    400,
  );
  assert.equal(combined.error.reason, "You cannot combine multiple filters in this API");
});

test("patch: replacing a trait re-derives identifiers and addresses; metadata can be added", async (t) => {
  const { server, api } = await adminServer(t);
  const created = await api.createIdentity({
    createIdentityBody: {
      ...person("ada@example.org"),
      credentials: { password: { config: { password: PASSWORD } } },
    },
  });
  const res = await api.patchIdentityRaw({
    id: created.id,
    jsonPatch: [
      { op: "replace", path: "/traits/email", value: "ada.lovelace@example.org" },
      { op: "replace", path: "/traits/name/first", value: "Augusta" },
      { op: "add", path: "/metadata_public", value: { tier: 2 } },
    ],
  });
  const { json, value } = await wire(res, "identity");
  assert.equal(value.traits.email, "ada.lovelace@example.org");
  assert.equal(value.traits.name.first, "Augusta");
  assert.deepEqual(json.metadata_public, { tier: 2 });
  assert.deepEqual(
    value.verifiable_addresses?.map((a) => a.value),
    ["ada.lovelace@example.org"],
  );
  assert.deepEqual(value.credentials?.password?.identifiers, ["ada.lovelace@example.org"]);
  assert.equal((await loginNative(server, "ada.lovelace@example.org", PASSWORD)).status, 200);
});

test("patch: an address can be marked verified; a forbidden path is a 400 and changes nothing", async (t) => {
  const { api } = await adminServer(t);
  const created = await api.createIdentity({ createIdentityBody: person("ada@example.org") });

  const verified = await wire(
    await api.patchIdentityRaw({
      id: created.id,
      jsonPatch: [
        { op: "replace", path: "/verifiable_addresses/0/verified", value: true },
        { op: "replace", path: "/verifiable_addresses/0/status", value: "completed" },
      ],
    }),
    "identity",
  );
  const address = verified.value.verifiable_addresses![0]!;
  assert.equal(address.verified, true);
  assert.equal(address.status, "completed");
  assert.ok(address.verified_at instanceof Date);
  assert.equal(address.id, created.verifiable_addresses![0]!.id, "the address keeps its id");

  const before = await (await api.getIdentityRaw({ id: created.id })).raw.json();
  for (const path of ["/id", "/credentials", "/credentials/password", "/state_changed_at", "/created_at"]) {
    const body = await sdkError(
      api.patchIdentity({ id: created.id, jsonPatch: [{ op: "replace", path, value: "x" }] }),
      400,
    );
    assert.match(body.error.reason ?? "", /^failed to apply JSON patch: the path ".*" cannot be changed$/);
  }
  const broken = await sdkError(
    api.patchIdentity({ id: created.id, jsonPatch: [{ op: "remove", path: "/traits/nope" }] }),
    400,
  );
  assert.match(broken.error.reason ?? "", /^failed to apply JSON patch/);
  const invalid = await sdkError(
    api.patchIdentity({
      id: created.id,
      jsonPatch: [{ op: "replace", path: "/traits/email", value: "nope" }],
    }),
    400,
  );
  assert.match(invalid.error.reason ?? "", /traits\.email/);
  assert.deepEqual(await (await api.getIdentityRaw({ id: created.id })).raw.json(), before);
});

test("update (PUT): replaces traits, clears omitted metadata, state change stamps state_changed_at", async (t) => {
  const { server, api } = await adminServer(t);
  const created = await api.createIdentity({
    createIdentityBody: {
      ...person("ada@example.org"),
      metadata_public: { a: 1 },
      metadata_admin: { b: 2 },
      external_id: "crm-1",
    },
  });
  server.clock.advance(60_000);
  const res = await api.updateIdentityRaw({
    id: created.id,
    updateIdentityBody: {
      schema_id: "default",
      state: "inactive",
      traits: { email: "ada@example.net" },
      metadata_admin: { c: 3 },
      credentials: { password: { config: { password: PASSWORD } } },
    },
  });
  const { json, value } = await wire(res, "identity");
  assert.deepEqual(value.traits, { email: "ada@example.net" });
  assert.equal(json.metadata_public, null);
  assert.deepEqual(json.metadata_admin, { c: 3 });
  assert.equal("external_id" in json, false, "PUT replaces the external id too");
  assert.equal(value.state, "inactive");
  assert.equal(json.state_changed_at, server.clock.now().toISOString());
  assert.deepEqual(value.credentials?.password?.identifiers, ["ada@example.net"]);
  assert.deepEqual(
    (await api.getIdentityRaw({ id: created.id }).then((r) => r.raw.json())) as unknown,
    json,
    "what PUT answered is what was stored",
  );
});

test("delete: 204, then the identity is gone (404 on get and on a second delete)", async (t) => {
  const { api } = await adminServer(t);
  const created = await api.createIdentity({ createIdentityBody: person("ada@example.org") });
  const res = await api.deleteIdentityRaw({ id: created.id });
  assert.equal(res.raw.status, 204);
  const gone = await sdkError(api.getIdentity({ id: created.id }), 404);
  assert.equal(gone.error.message, "Unable to locate the resource");
  await sdkError(api.deleteIdentity({ id: created.id }), 404);
  assert.deepEqual(await allIdentityIds(api), []);
});

test("create imports verified addresses matched by value/via; others are derived from the traits", async (t) => {
  const { api } = await adminServer(t);
  const { value } = await wire(
    await api.createIdentityRaw({
      createIdentityBody: {
        ...person("Ada@Example.org"),
        verifiable_addresses: [
          { value: "ADA@example.org", via: "email", verified: true, status: "completed" },
          { value: "stray@example.org", via: "email", verified: true, status: "completed" },
        ],
      },
    }),
    "identity",
  );
  assert.equal(value.verifiable_addresses?.length, 1);
  const address = value.verifiable_addresses![0]!;
  assert.equal(address.value, "ada@example.org");
  assert.equal(address.verified, true);
  assert.equal(address.status, "completed");
});

test("oidc import, then credential deletion: one provider by identifier, then the password", async (t) => {
  const { api } = await adminServer(t);
  const created = await api.createIdentity({
    createIdentityBody: {
      ...person("ada@example.org"),
      credentials: {
        password: { config: { password: PASSWORD } },
        oidc: {
          config: {
            providers: [
              { provider: "github", subject: "Ab12" },
              { provider: "google", subject: "987" },
            ],
          },
        },
      },
    },
  });
  assert.deepEqual(created.credentials?.oidc?.identifiers, ["github:Ab12", "google:987"]);
  const found = await api.listIdentities({ credentialsIdentifier: "github:Ab12" });
  assert.deepEqual(
    found.map((i) => i.id),
    [created.id],
    "OIDC identifiers are matched case-sensitively",
  );

  const missing = await sdkError(api.deleteIdentityCredentials({ id: created.id, type: "oidc" }), 400);
  assert.match(missing.error.reason ?? "", /identifier/);
  await api.deleteIdentityCredentials({ id: created.id, type: "oidc", identifier: "github:Ab12" });
  const afterOne = await wire(
    await api.getIdentityRaw({ id: created.id, includeCredential: ["oidc"] }),
    "identity",
  );
  assert.deepEqual(afterOne.value.credentials?.oidc?.identifiers, ["google:987"]);

  await api.deleteIdentityCredentials({ id: created.id, type: "password" });
  const afterPassword = await api.getIdentity({ id: created.id });
  assert.deepEqual(Object.keys(afterPassword.credentials ?? {}), ["oidc"]);
  await sdkError(api.deleteIdentityCredentials({ id: created.id, type: "password" }), 404);
});

test("the admin listener answers both /admin/identities and bare /identities", async (t) => {
  const { server, api } = await adminServer(t);
  const created = await api.createIdentity({ createIdentityBody: person("ada@example.org") });
  const prefixed = await adminFetch(server, `admin/identities/${created.id}`);
  const bare = await adminFetch(server, `identities/${created.id}`);
  assert.equal(prefixed.status, 200);
  assert.equal(bare.status, 200);
  assertSchema("identity", bare.body);
  assert.deepEqual(bare.body, prefixed.body);
  const bareList = await adminFetch(server, "identities");
  assert.equal((bareList.body as unknown[]).length, 1);
});

test("the public listener answers /admin/identities with 307 to the admin URL", async (t) => {
  const { server } = await adminServer(t);
  for (const path of ["admin/identities?page_size=2", "identities"]) {
    const res = await fetch(new URL(path, server.publicUrl), { redirect: "manual" });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("location"), new URL(path, server.adminUrl).toString());
  }
});
