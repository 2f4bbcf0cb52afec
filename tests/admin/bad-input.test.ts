import assert from "node:assert/strict";
import { test } from "node:test";
import {
  adminFetch,
  adminServer,
  allIdentityIds,
  assertErrorBody,
  PASSWORD,
  person,
  sdkError,
} from "./support.ts";

/**
 * Bad input to the admin identity API, one case per test: the status, the error envelope, and
 * that nothing was written (checked through the API afterwards).
 */

const JSON_HEADERS = { "content-type": "application/json" };

test("malformed JSON: 400 and no identity", async (t) => {
  const { server, api } = await adminServer(t);
  const res = await adminFetch(server, "admin/identities", {
    method: "POST",
    headers: JSON_HEADERS,
    body: '{"schema_id":"default","traits":{"email":"ada@example.org"',
  });
  const error = assertErrorBody(res, 400);
  assert.match(error.reason ?? "", /^Unable to decode JSON payload/);
  assert.deepEqual(await allIdentityIds(api), []);
});

test("a non-JSON content type: 400 and no identity", async (t) => {
  const { server, api } = await adminServer(t);
  const res = await adminFetch(server, "admin/identities", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "schema_id=default&traits.email=ada%40example.org",
  });
  const error = assertErrorBody(res, 400);
  assert.match(error.reason ?? "", /is not application\/json/);
  assert.deepEqual(await allIdentityIds(api), []);
});

test("a body over 5 MiB: 400 and no identity", async (t) => {
  const { server, api } = await adminServer(t);
  const huge = JSON.stringify({
    ...person("ada@example.org"),
    metadata_admin: { blob: "x".repeat(5 * 1024 * 1024) },
  });
  const res = await adminFetch(server, "admin/identities", {
    method: "POST",
    headers: JSON_HEADERS,
    body: huge,
  });
  const error = assertErrorBody(res, 400);
  assert.match(error.reason ?? "", /exceeds the maximum allowed size of 5242880 bytes/);
  assert.deepEqual(await allIdentityIds(api), []);
});

test("an unknown key in the create body: 400 naming the key, no identity", async (t) => {
  const { server, api } = await adminServer(t);
  const res = await adminFetch(server, "admin/identities", {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({
      ...person("ada@example.org"),
      credentials: { password: { config: { password: PASSWORD, salt: "x" } } },
    }),
  });
  const error = assertErrorBody(res, 400);
  assert.match(error.reason ?? "", /unknown field "credentials\.password\.config\.salt"/);

  const topLevel = await adminFetch(server, "admin/identities", {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ ...person("ada@example.org"), trait: {} }),
  });
  assert.match(assertErrorBody(topLevel, 400).reason ?? "", /unknown field "trait"/);
  assert.deepEqual(await allIdentityIds(api), []);
});

test("traits that break the schema: 400 listing the validation messages, no identity", async (t) => {
  const { api } = await adminServer(t);
  const body = await sdkError(
    api.createIdentity({
      createIdentityBody: { schema_id: "default", traits: { email: "not-an-email", extra: true } },
    }),
    400,
  );
  assert.match(body.error.reason ?? "", /traits\.email: /);
  assert.match(body.error.reason ?? "", /valid email/i);
  const messages = (body.error.details as { messages: { path: string; id: number; text: string }[] })
    .messages;
  assert.ok(messages.some((m) => m.path === "traits.email" && typeof m.id === "number" && m.text.length > 0));
  assert.ok(messages.length >= 2, "every violation is reported, not only the first");
  assert.deepEqual(await allIdentityIds(api), []);
});

test("a duplicate identifier: 409, the first identity unchanged and no second identity", async (t) => {
  const { server, api } = await adminServer(t);
  const first = await api.createIdentity({
    createIdentityBody: {
      ...person("ada@example.org"),
      credentials: { password: { config: { password: PASSWORD } } },
    },
  });
  const before = await adminFetch(server, `admin/identities/${first.id}?include_credential=password`);

  const body = await sdkError(
    api.createIdentity({
      createIdentityBody: {
        ...person("ADA@example.org", "Impostor"),
        metadata_admin: { second: true },
        credentials: { password: { config: { password: "another-password-5521" } } },
      },
    }),
    409,
  );
  assert.equal(body.error.reason, "This identity conflicts with another identity that already exists.");

  const after = await adminFetch(server, `admin/identities/${first.id}?include_credential=password`);
  assert.deepEqual(after.body, before.body);
  assert.deepEqual(await allIdentityIds(api), [first.id]);
});

test("an external_id already in use: 409 and no second identity", async (t) => {
  const { api } = await adminServer(t);
  const first = await api.createIdentity({
    createIdentityBody: { ...person("ada@example.org"), external_id: "crm-7" },
  });
  await sdkError(
    api.createIdentity({ createIdentityBody: { ...person("grace@example.org"), external_id: "crm-7" } }),
    409,
  );
  assert.deepEqual(await allIdentityIds(api), [first.id]);
});

test("an unsupported hashed_password: 400 and no identity", async (t) => {
  const { api } = await adminServer(t);
  for (const hashed of [
    "$1$salt$not-supported-md5",
    "plaintext-is-not-a-hash",
    "$2x$04$abcdefghijklmnopqrstuu",
  ]) {
    const body = await sdkError(
      api.createIdentity({
        createIdentityBody: {
          ...person("ada@example.org"),
          credentials: { password: { config: { hashed_password: hashed } } },
        },
      }),
      400,
    );
    assert.match(body.error.reason ?? "", /hashed_password is not in a supported format/);
  }
  assert.deepEqual(await allIdentityIds(api), []);
});

test("a plaintext password failing the policy: 400 with the policy message, no identity", async (t) => {
  const { api } = await adminServer(t);
  const body = await sdkError(
    api.createIdentity({
      createIdentityBody: {
        ...person("ada@example.org"),
        credentials: { password: { config: { password: "short" } } },
      },
    }),
    400,
  );
  assert.match(body.error.reason ?? "", /The password must be at least 8 characters long, but got 5\./);
  assert.deepEqual(await allIdentityIds(api), []);
});

test("a non-UUID and an unknown id: 404 on get, put, patch and delete", async (t) => {
  const { api } = await adminServer(t);
  for (const id of ["not-a-uuid", crypto.randomUUID()]) {
    const get = await sdkError(api.getIdentity({ id }), 404);
    assert.equal(get.error.message, "Unable to locate the resource");
    await sdkError(
      api.updateIdentity({
        id,
        updateIdentityBody: { schema_id: "default", state: "active", traits: { email: "a@b.org" } },
      }),
      404,
    );
    await sdkError(
      api.patchIdentity({ id, jsonPatch: [{ op: "replace", path: "/traits/email", value: "a@b.org" }] }),
      404,
    );
    await sdkError(api.deleteIdentity({ id }), 404);
    await sdkError(api.listIdentitySessions({ id }), 404);
  }
  assert.deepEqual(await allIdentityIds(api), []);
});

test("list parameters: a non-numeric page_size, a bad page_token and combined filters are 400s", async (t) => {
  const { server } = await adminServer(t);
  for (const query of [
    "page_size=ten",
    "page_size=-1",
    "page_size=0",
    "page_token=garbage",
    "ids=7d0a9c3e-0000-4000-8000-000000000000&credentials_identifier=a@b.org",
  ]) {
    const res = await adminFetch(server, `admin/identities?${query}`);
    assertErrorBody(res, 400);
  }
});

test("PUT with an unknown key or invalid traits: 400 and the identity unchanged", async (t) => {
  const { server, api } = await adminServer(t);
  const created = await api.createIdentity({ createIdentityBody: person("ada@example.org") });
  const before = await adminFetch(server, `admin/identities/${created.id}`);

  const unknownKey = await adminFetch(server, `admin/identities/${created.id}`, {
    method: "PUT",
    headers: JSON_HEADERS,
    body: JSON.stringify({ traits: { email: "new@example.org" }, metadata: {} }),
  });
  assert.match(assertErrorBody(unknownKey, 400).reason ?? "", /unknown field "metadata"/);
  await sdkError(
    api.updateIdentity({
      id: created.id,
      updateIdentityBody: { schema_id: "default", state: "active", traits: { email: "nope" } },
    }),
    400,
  );
  assert.deepEqual((await adminFetch(server, `admin/identities/${created.id}`)).body, before.body);
});

test("PATCH with a body that is not a JSON Patch document: 400 and the identity unchanged", async (t) => {
  const { server, api } = await adminServer(t);
  const created = await api.createIdentity({ createIdentityBody: person("ada@example.org") });
  const before = await adminFetch(server, `admin/identities/${created.id}`);
  for (const body of [
    { op: "replace" },
    [{ op: "jump", path: "/traits" }],
    [{ op: "add", path: "/traits/x" }],
  ]) {
    const res = await adminFetch(server, `admin/identities/${created.id}`, {
      method: "PATCH",
      headers: JSON_HEADERS,
      body: JSON.stringify(body),
    });
    assert.match(assertErrorBody(res, 400).reason ?? "", /^failed to apply JSON patch/);
  }
  const added = await adminFetch(server, `admin/identities/${created.id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json-patch+json" },
    body: JSON.stringify([{ op: "add", path: "/unknown_field", value: 1 }]),
  });
  assert.match(assertErrorBody(added, 400).reason ?? "", /unknown field "unknown_field"/);
  assert.deepEqual((await adminFetch(server, `admin/identities/${created.id}`)).body, before.body);
});

test("an unsupported credential import or organization: 400 and no identity", async (t) => {
  const { server, api } = await adminServer(t);
  for (const extra of [
    { credentials: { totp: { config: { totp_url: "otpauth://totp/x" } } } },
    { organization_id: crypto.randomUUID() },
    { credentials: { password: { config: { password: PASSWORD, hashed_password: "$2a$04$x" } } } },
  ]) {
    const res = await adminFetch(server, "admin/identities", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ ...person("ada@example.org"), ...extra }),
    });
    assertErrorBody(res, 400);
  }
  assert.deepEqual(await allIdentityIds(api), []);
});
