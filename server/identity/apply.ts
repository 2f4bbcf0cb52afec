import type {
  CredentialRecord,
  FullIdentity,
  RecoveryAddressRecord,
  VerifiableAddressRecord,
} from "../../db/store.ts";
import type { AddressRef, DerivedTraits } from "./extension.ts";
import { normalizeEmail, normalizePhone } from "./normalize.ts";

/**
 * Applies new traits to an identity together with everything derived from them (contract §5.4,
 * §14.2), and tells whether that touched what a privileged session must guard (§5.3 step 6).
 */

/** Addresses match by channel and normalised value, so a stored "Foo@x.com" is the same as "foo@x.com". */
function addressKey(via: string, value: string): string {
  const normalized =
    via === "email"
      ? (normalizeEmail(value) ?? value.trim().toLowerCase())
      : via === "sms"
        ? (normalizePhone(value) ?? value.trim())
        : value.trim();
  return `${via}\u0000${normalized}`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function reconcile<T extends { via: string; value: string; updatedAt: Date }>(
  existing: readonly T[],
  wanted: readonly AddressRef[],
  create: (address: AddressRef) => T,
  now: Date,
): T[] {
  const byKey = new Map(existing.map((record) => [addressKey(record.via, record.value), record]));
  return wanted.map((address) => {
    const kept = byKey.get(addressKey(address.via, address.value));
    if (!kept) return create(address);
    return kept.value === address.value ? kept : { ...kept, value: address.value, updatedAt: now };
  });
}

/**
 * A copy of `identity` with `traits` replaced and the derived data recomputed:
 * - identifiers of existing credentials whose type the schema declares identifiers for
 *   (credentials are never created here; the password method does that);
 * - verifiable and recovery addresses: unchanged ones keep id, verification state and
 *   timestamps, new ones start `pending`/unverified, vanished ones are dropped.
 */
export function applyTraits(
  identity: FullIdentity,
  traits: Record<string, unknown>,
  derived: DerivedTraits,
  now: Date,
  newId: () => string,
): FullIdentity {
  const credentials = identity.credentials.map((credential): CredentialRecord => {
    const identifiers = derived.identifiers[credential.type];
    if (!identifiers || sameList(credential.identifiers, identifiers)) return credential;
    return { ...credential, identifiers: [...identifiers], updatedAt: now };
  });
  const verifiableAddresses = reconcile(
    identity.verifiableAddresses,
    derived.verifiable,
    (address): VerifiableAddressRecord => ({
      id: newId(),
      identityId: identity.id,
      value: address.value,
      via: address.via,
      verified: false,
      status: "pending",
      verifiedAt: null,
      createdAt: now,
      updatedAt: now,
    }),
    now,
  );
  const recoveryAddresses = reconcile(
    identity.recoveryAddresses,
    derived.recovery,
    (address): RecoveryAddressRecord => ({
      id: newId(),
      identityId: identity.id,
      value: address.value,
      via: address.via,
      createdAt: now,
      updatedAt: now,
    }),
    now,
  );
  return { ...identity, traits, credentials, verifiableAddresses, recoveryAddresses, updatedAt: now };
}

function credentialFingerprints(identity: FullIdentity): Map<string, string> {
  return new Map(
    identity.credentials.map((c) => [c.type, JSON.stringify([[...c.identifiers].sort(), c.config])]),
  );
}

function sameRecords(a: readonly object[], b: readonly object[]): boolean {
  return a === b || (a.length === b.length && a.every((record, i) => record === b[i]));
}

function addressSet(addresses: readonly { via: string; value: string }[]): string {
  return JSON.stringify(addresses.map((a) => `${a.via}\u0000${a.value}`).sort());
}

/**
 * True when credentials (identifiers or config) or the verifiable/recovery address sets differ:
 * such a change needs a privileged session (contract §5.3 step 6).
 */
export function protectedFieldsChanged(before: FullIdentity, after: FullIdentity): boolean {
  // A traits-only change keeps every credential and address record as it was (applyTraits returns
  // the unchanged ones themselves): nothing to compare.
  if (
    sameRecords(before.credentials, after.credentials) &&
    sameRecords(before.verifiableAddresses, after.verifiableAddresses) &&
    sameRecords(before.recoveryAddresses, after.recoveryAddresses)
  )
    return false;
  const a = credentialFingerprints(before);
  const b = credentialFingerprints(after);
  if (a.size !== b.size) return true;
  for (const [type, fingerprint] of a) if (b.get(type) !== fingerprint) return true;
  return (
    addressSet(before.verifiableAddresses) !== addressSet(after.verifiableAddresses) ||
    addressSet(before.recoveryAddresses) !== addressSet(after.recoveryAddresses)
  );
}
