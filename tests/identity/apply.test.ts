import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FullIdentity } from "../../db/store.ts";
import { applyTraits, protectedFieldsChanged } from "../../server/identity/apply.ts";
import { deriveTraits } from "../../server/identity/extension.ts";
import type { SchemaEntry } from "../../server/identity/registry.ts";
import { loadDefaultEntry, sampleIdentity, sequentialId, T0, T1 } from "./fixtures.ts";

let entry: SchemaEntry;

function apply(identity: FullIdentity, traits: Record<string, unknown>): FullIdentity {
  return applyTraits(identity, traits, deriveTraits(entry, traits), T1, sequentialId);
}

describe("applyTraits", () => {
  test("unchanged email: addresses keep id, verification state and timestamps", async () => {
    entry = await loadDefaultEntry();
    const before = sampleIdentity();
    const after = apply(before, { email: "old@example.com", name: { first: "Anna" } });
    assert.deepEqual(after.traits, { email: "old@example.com", name: { first: "Anna" } });
    assert.deepEqual(after.verifiableAddresses, before.verifiableAddresses);
    assert.deepEqual(after.recoveryAddresses, before.recoveryAddresses);
    assert.deepEqual(after.credentials, before.credentials);
    assert.equal(after.updatedAt, T1);
    assert.equal(protectedFieldsChanged(before, after), false);
  });

  test("a differently written but equal email is the same address", () => {
    const before = sampleIdentity();
    const after = apply(before, { email: "Old@Example.COM" });
    assert.equal(after.verifiableAddresses[0]?.id, before.verifiableAddresses[0]?.id);
    assert.equal(after.verifiableAddresses[0]?.verified, true);
    assert.equal(after.verifiableAddresses[0]?.status, "completed");
    assert.deepEqual(after.credentials[0]?.identifiers, ["old@example.com"]);
    assert.equal(protectedFieldsChanged(before, after), false);
  });

  test("a new email: new pending addresses, vanished ones dropped, password identifiers recomputed", () => {
    const before = sampleIdentity();
    const after = apply(before, { email: "New@Example.com" });
    assert.equal(after.verifiableAddresses.length, 1);
    const [address] = after.verifiableAddresses;
    assert.ok(address);
    assert.notEqual(address.id, before.verifiableAddresses[0]?.id);
    assert.match(address.id, /^00000000-0000-4000-8000-/);
    assert.deepEqual(
      { ...address, id: "x" },
      {
        id: "x",
        identityId: before.id,
        value: "new@example.com",
        via: "email",
        verified: false,
        status: "pending",
        verifiedAt: null,
        createdAt: T1,
        updatedAt: T1,
      },
    );
    assert.deepEqual(
      after.recoveryAddresses.map((a) => [a.value, a.via, a.createdAt]),
      [["new@example.com", "email", T1]],
    );
    const [password, oidc] = after.credentials;
    assert.deepEqual(password?.identifiers, ["new@example.com"]);
    assert.equal(password?.updatedAt, T1);
    assert.deepEqual(password?.config, before.credentials[0]?.config);
    assert.deepEqual(oidc, before.credentials[1], "OIDC identifiers are not derived from traits");
    assert.equal(protectedFieldsChanged(before, after), true);
  });

  test("never creates credentials and leaves the input untouched", () => {
    const before = { ...sampleIdentity(), credentials: [] };
    const snapshot = structuredClone(before);
    const after = apply(before, { email: "new@example.com" });
    assert.deepEqual(after.credentials, []);
    assert.deepEqual(before, snapshot);
  });

  test("removing the address drops it", () => {
    const before = sampleIdentity();
    const noAddresses = applyTraits(
      before,
      {},
      { identifiers: { password: [] }, verifiable: [], recovery: [], codeAddresses: [], issues: [] },
      T1,
      sequentialId,
    );
    assert.deepEqual(noAddresses.verifiableAddresses, []);
    assert.deepEqual(noAddresses.recoveryAddresses, []);
    assert.deepEqual(noAddresses.credentials[0]?.identifiers, []);
    assert.equal(protectedFieldsChanged(before, noAddresses), true);
  });
});

describe("protectedFieldsChanged", () => {
  test("identical identities are unchanged; order does not matter", () => {
    const a = sampleIdentity();
    const b = sampleIdentity();
    b.credentials.reverse();
    assert.equal(protectedFieldsChanged(a, b), false);
  });

  test("credential identifiers, credential config, addresses each count", () => {
    const base = sampleIdentity();
    const identifiers = sampleIdentity();
    identifiers.credentials[0]?.identifiers.push("second@example.com");
    assert.equal(protectedFieldsChanged(base, identifiers), true);

    const config = sampleIdentity();
    if (config.credentials[0]) config.credentials[0].config = { hashed_password: "other" };
    assert.equal(protectedFieldsChanged(base, config), true);

    const credentialRemoved = { ...sampleIdentity(), credentials: sampleIdentity().credentials.slice(0, 1) };
    assert.equal(protectedFieldsChanged(base, credentialRemoved), true);

    const recovery = sampleIdentity();
    recovery.recoveryAddresses.push({
      id: "b1000000-0000-4000-8000-000000000002",
      identityId: recovery.id,
      value: "x@example.com",
      via: "email",
      createdAt: T0,
      updatedAt: T0,
    });
    assert.equal(protectedFieldsChanged(base, recovery), true);
  });

  test("traits, verification status and timestamps alone do not count", () => {
    const base = sampleIdentity();
    const other = sampleIdentity();
    other.traits = { email: "old@example.com", name: { first: "Zed" } };
    other.updatedAt = T1;
    if (other.verifiableAddresses[0]) {
      other.verifiableAddresses[0].verified = false;
      other.verifiableAddresses[0].status = "sent";
      other.verifiableAddresses[0].updatedAt = T1;
    }
    assert.equal(protectedFieldsChanged(base, other), false);
    assert.equal(base.createdAt, T0);
  });
});
