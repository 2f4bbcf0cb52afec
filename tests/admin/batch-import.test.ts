import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonBody } from "../helpers/http.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { adminServer, allIdentityIds, loginNative, PASSWORD, person, sdkError, wire } from "./support.ts";

const PATCH_IDS = [
  "0b7a3c1e-3f55-4a3e-9d60-2f1b6f0a0001",
  "0b7a3c1e-3f55-4a3e-9d60-2f1b6f0a0002",
  "0b7a3c1e-3f55-4a3e-9d60-2f1b6f0a0003",
  "0b7a3c1e-3f55-4a3e-9d60-2f1b6f0a0004",
];

test("batch import through the SDK: one bad item is reported in its slot, the others are created", async (t) => {
  const { server, api } = await adminServer(t);
  const res = await api.batchPatchIdentitiesRaw({
    patchIdentitiesBody: {
      identities: [
        {
          patch_id: PATCH_IDS[0],
          create: {
            ...person("md5@example.org"),
            external_id: "legacy-1",
            credentials: { password: { config: { hashed_password: "$md5$CY9rzUYh03PK3k6DJie09g==" } } },
          },
        },
        // Invalid traits: the schema requires an email.
        { patch_id: PATCH_IDS[1], create: { schema_id: "default", traits: { email: "not-an-email" } } },
        { patch_id: PATCH_IDS[2], create: { ...person("plain@example.org"), external_id: "legacy-2" } },
        // A duplicate of the first item's identifier.
        { patch_id: PATCH_IDS[3], create: person("md5@example.org") },
      ],
    },
  });
  const { json } = await wire(res, "batchPatchIdentitiesResponse");
  assert.equal(res.raw.status, 200);
  const items = json.identities as {
    action: string;
    identity?: string;
    patch_id?: string;
    error?: { code: number };
  }[];
  assert.deepEqual(
    items.map((i) => [i.action, i.patch_id, i.error?.code]),
    [
      ["create", PATCH_IDS[0], undefined],
      ["error", PATCH_IDS[1], 400],
      ["create", PATCH_IDS[2], undefined],
      ["error", PATCH_IDS[3], 409],
    ],
  );
  assert.ok(items[0]!.identity && items[2]!.identity);
  assert.deepEqual((await allIdentityIds(api)).sort(), [items[0]!.identity, items[2]!.identity].sort());

  // The imported md5 hash signs in (and is re-hashed, see tests/password/imported-hashes.test.ts).
  assert.equal((await loginNative(server, "md5@example.org", "test")).status, 200);

  // Lookup by external id, as Kratos's getIdentityByExternalID.
  const byExternal = await wire(await api.getIdentityByExternalIDRaw({ externalID: "legacy-2" }), "identity");
  assert.equal(byExternal.json.id, items[2]!.identity);
  assert.equal(byExternal.json.external_id, "legacy-2");
  await sdkError(api.getIdentityByExternalID({ externalID: "nobody" }), 404);

  // And by credentials identifier.
  const byIdentifier = await api.listIdentities({ credentialsIdentifier: "MD5@example.org" });
  assert.deepEqual(
    byIdentifier.map((i) => i.id),
    [items[0]!.identity],
  );
});

test("batch import limits and bad bodies: 400 with Kratos's reasons, nothing created", async (t) => {
  const { server, api } = await adminServer(t);
  const send = async (body: unknown) => {
    const res = await fetch(new URL("admin/identities", server.adminUrl), {
      ...jsonBody(body),
      method: "PATCH",
    });
    const json = await res.json();
    assertSchema("errorGeneric", json);
    return { status: res.status, reason: (json as { error: { reason?: string } }).error.reason ?? "" };
  };
  const plaintext = Array.from({ length: 201 }, (_, i) => ({
    create: { ...person(`p${i}@example.org`), credentials: { password: { config: { password: PASSWORD } } } },
  }));
  const tooManyPlain = await send({ identities: plaintext });
  assert.equal(tooManyPlain.status, 400);
  assert.match(tooManyPlain.reason, /created with a plaintext password is 200\./);

  const tooMany = await send({
    identities: Array.from({ length: 1001 }, () => ({ create: person("x@example.org") })),
  });
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.reason, /created or deleted at once is 1000\./);

  const unknownKey = await send({ identities: [{ crate: person("x@example.org") }] });
  assert.equal(unknownKey.status, 400);
  assert.match(unknownKey.reason, /unknown field "identities\.0\.crate"/);

  assert.deepEqual(await allIdentityIds(api), []);
});
