import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { identity as identityWire } from "#shared/identity.ts";
import { identityToJson } from "../../server/identity/serialize.ts";
import { toRfc3339 } from "../../server/time.ts";
import { validateAgainstOpenApi } from "../helpers/openapi.ts";
import { sampleIdentity, T0, T1 } from "./fixtures.ts";

const publicBaseUrl = "https://id.example.com/";

describe("identityToJson (public)", () => {
  test("Kratos's shape, key order and URL", () => {
    const json = identityToJson(sampleIdentity(), { publicBaseUrl });
    assert.deepEqual(Object.keys(json), [
      "id",
      "schema_id",
      "schema_url",
      "state",
      "traits",
      "verifiable_addresses",
      "recovery_addresses",
      "metadata_public",
      "created_at",
      "updated_at",
      "organization_id",
    ]);
    assert.equal(json.schema_url, "https://id.example.com/schemas/ZGVmYXVsdA");
    assert.equal(json.metadata_public, null);
    assert.equal(json.organization_id, null);
    assert.equal(json.created_at, "2024-01-02T03:04:05.678Z");
    assert.deepEqual(json.verifiable_addresses, [
      {
        id: "a1000000-0000-4000-8000-000000000001",
        value: "old@example.com",
        verified: true,
        via: "email",
        status: "completed",
        verified_at: "2024-01-02T03:04:05.678Z",
        created_at: "2024-01-02T03:04:05.678Z",
        updated_at: "2024-01-02T03:04:05.678Z",
      },
    ]);
    assert.deepEqual(json.recovery_addresses, [
      {
        id: "b1000000-0000-4000-8000-000000000001",
        value: "old@example.com",
        via: "email",
        created_at: "2024-01-02T03:04:05.678Z",
        updated_at: "2024-01-02T03:04:05.678Z",
      },
    ]);
    assert.equal("credentials" in json, false);
    assert.equal("metadata_admin" in json, false);
    assert.equal("state_changed_at" in json, false);
  });

  test("omits empty address lists and a missing verified_at; shows state_changed_at, external_id", () => {
    const identity = sampleIdentity();
    identity.recoveryAddresses = [];
    identity.verifiableAddresses = identity.verifiableAddresses.map((a) => ({
      ...a,
      verified: false,
      verifiedAt: null,
      status: "pending" as const,
    }));
    identity.stateChangedAt = T1;
    identity.externalId = "crm-42";
    identity.metadataPublic = { plan: "pro" };
    const json = identityToJson(identity, { publicBaseUrl: "https://id.example.com" });
    assert.equal("recovery_addresses" in json, false);
    assert.equal("verified_at" in (json.verifiable_addresses?.[0] ?? {}), false);
    assert.equal(json.state_changed_at, toRfc3339(T1));
    assert.equal(json.external_id, "crm-42");
    assert.deepEqual(json.metadata_public, { plan: "pro" });
    assert.equal(json.schema_url, "https://id.example.com/schemas/ZGVmYXVsdA", "adds a missing slash");

    identity.verifiableAddresses = [];
    assert.equal("verifiable_addresses" in identityToJson(identity, { publicBaseUrl }), false);
  });

  test("conforms to the OpenAPI identity schema and to the shared wire type", () => {
    const json = identityToJson(sampleIdentity(), { publicBaseUrl });
    assert.deepEqual(validateAgainstOpenApi("identity", json, { noAdditionalProperties: true }), []);
    assert.equal(identityWire.safeParse(json).success, true);
  });
});

describe("identityToJson (admin)", () => {
  test("adds credentials keyed by type (sorted) without config, and metadata_admin", () => {
    const json = identityToJson(sampleIdentity(), { publicBaseUrl, admin: true });
    assert.deepEqual(Object.keys(json).slice(0, 3), ["id", "credentials", "schema_id"]);
    assert.equal(json.metadata_admin, null);
    assert.deepEqual(json.credentials, {
      oidc: {
        type: "oidc",
        identifiers: ["github:12345"],
        version: 0,
        created_at: toRfc3339(T0),
        updated_at: toRfc3339(T0),
      },
      password: {
        type: "password",
        identifiers: ["old@example.com"],
        version: 0,
        created_at: toRfc3339(T0),
        updated_at: toRfc3339(T0),
      },
    });
    assert.deepEqual(validateAgainstOpenApi("identity", json, { noAdditionalProperties: true }), []);
  });

  test("includes config only for requested types; a password shows only its hash", () => {
    const identity = sampleIdentity();
    identity.metadataAdmin = { note: "vip" };
    const json = identityToJson(identity, {
      publicBaseUrl,
      admin: true,
      includeCredentialConfig: ["password", "oidc"],
    });
    assert.deepEqual(json.credentials?.password?.config, {
      hashed_password: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    });
    assert.deepEqual(json.credentials?.oidc?.config, {
      providers: [{ provider: "github", subject: "12345" }],
    });
    assert.notEqual(
      json.credentials?.oidc?.config,
      identity.credentials[1]?.config,
      "a copy, not the record",
    );
    assert.deepEqual(json.metadata_admin, { note: "vip" });
    assert.deepEqual(validateAgainstOpenApi("identity", json), []);
  });
});
