/**
 * Record builders for the store contract. Every builder takes fresh random ids and values, so tests
 * sharing one database never collide; times are whole milliseconds, as the stores keep them.
 */
import { randomUUID } from "node:crypto";
import type {
  AddressChangeRecord,
  ContinuityRecord,
  CourierMessageRecord,
  CredentialRecord,
  FlowRecord,
  FullIdentity,
  RecoveryAddressRecord,
  SecurityEventRecord,
  SessionRecord,
  StoredErrorRecord,
  VerifiableAddressRecord,
} from "../../db/store.ts";

export const t0 = new Date("2026-03-01T10:00:00.000Z");

/** `t0` plus some milliseconds: distinct, ordered timestamps. */
export function at(ms: number): Date {
  return new Date(t0.getTime() + ms);
}

export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomUUID()}@example.org`;
}

export function credential(
  identityId: string,
  overrides: Partial<CredentialRecord> & Pick<CredentialRecord, "type" | "identifiers">,
): CredentialRecord {
  return {
    id: randomUUID(),
    identityId,
    config: {},
    version: 0,
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

export function verifiableAddress(
  identityId: string,
  value: string,
  overrides: Partial<VerifiableAddressRecord> = {},
): VerifiableAddressRecord {
  return {
    id: randomUUID(),
    identityId,
    value,
    via: "email",
    verified: false,
    status: "pending",
    verifiedAt: null,
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

export function recoveryAddress(
  identityId: string,
  value: string,
  overrides: Partial<RecoveryAddressRecord> = {},
): RecoveryAddressRecord {
  return { id: randomUUID(), identityId, value, via: "email", createdAt: t0, updatedAt: t0, ...overrides };
}

/**
 * An identity with a password credential, one verifiable and one recovery address, all for a
 * fresh email. Children are already in the order the stores read them back.
 */
export function identity(overrides: Partial<FullIdentity> = {}): FullIdentity {
  const id = overrides.id ?? randomUUID();
  const email = uniqueEmail();
  return {
    id,
    schemaId: "default",
    state: "active",
    stateChangedAt: at(1),
    traits: { email, name: { first: "Ada", last: "Lovelace" }, tags: ["a", "b"] },
    metadataPublic: null,
    metadataAdmin: null,
    externalId: null,
    createdAt: t0,
    updatedAt: t0,
    credentials: [
      credential(id, {
        type: "password",
        identifiers: [email],
        config: { hashed_password: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA" },
      }),
    ],
    verifiableAddresses: [verifiableAddress(id, email)],
    recoveryAddresses: [recoveryAddress(id, email)],
    ...overrides,
  };
}

export function session(identityId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    token: `ory_st_${randomUUID()}`,
    logoutToken: `ory_lo_${randomUUID()}`,
    identityId,
    active: true,
    aal: "aal1",
    issuedAt: t0,
    authenticatedAt: t0,
    expiresAt: at(86_400_000),
    authenticationMethods: [{ method: "password", aal: "aal1", completedAt: t0 }],
    devices: [{ id: randomUUID(), ipAddress: "203.0.113.7", userAgent: "node:test" }],
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

export function flow(overrides: Partial<FlowRecord> = {}): FlowRecord {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    kind: "settings",
    type: "browser",
    identityId: null,
    state: "show_form",
    requestUrl: "https://auth.example.org/self-service/settings/browser",
    returnTo: null,
    active: null,
    ui: {
      action: `https://auth.example.org/self-service/settings?flow=${id}`,
      method: "POST",
      nodes: [
        {
          type: "input",
          group: "default",
          attributes: { name: "csrf_token", type: "hidden", value: "tok", required: true, disabled: false },
          messages: [],
          meta: {},
        },
        {
          type: "input",
          group: "profile",
          attributes: { name: "traits.email", type: "email", value: "ü@example.org" },
          messages: [{ id: 4000002, type: "error", text: "Property email is missing.", context: {} }],
          meta: { label: { id: 1070002, text: "E-Mail", type: "info" } },
        },
      ],
      messages: [],
    },
    data: { refresh: false, requested_aal: "aal1", nested: { list: [1, 2.5, null, true, "x"] } },
    internalContext: { csrf_token: "tok", empty: {} },
    issuedAt: t0,
    expiresAt: at(3_600_000),
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

export function continuity(overrides: Partial<ContinuityRecord> = {}): ContinuityRecord {
  return {
    id: randomUUID(),
    name: "ory_kratos_settings_profile",
    identityId: null,
    payload: { flow_id: randomUUID(), body: { "traits.email": "new@example.org" } },
    expiresAt: at(600_000),
    createdAt: t0,
    ...overrides,
  };
}

export function storedError(overrides: Partial<StoredErrorRecord> = {}): StoredErrorRecord {
  return {
    id: randomUUID(),
    error: { code: 500, status: "Internal Server Error", reason: "boom", details: { trace: ["a", "b"] } },
    seenAt: null,
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

export function courierMessage(overrides: Partial<CourierMessageRecord> = {}): CourierMessageRecord {
  return {
    id: randomUUID(),
    type: "email",
    status: "queued",
    recipient: uniqueEmail("recipient"),
    subject: "Please verify your email address",
    body: "Hi, please verify your account by clicking the following link: https://…",
    templateType: "verification_code_valid",
    sendCount: 0,
    createdAt: t0,
    updatedAt: t0,
    htmlBody: null,
    sendAfter: null,
    ...overrides,
  };
}

/** A security history entry of the identity, `ms` after the fixtures' epoch. */
export function historyEntry(
  identityId: string,
  ms: number,
  type = "login",
  overrides: Partial<SecurityEventRecord> = {},
): SecurityEventRecord {
  return {
    id: randomUUID(),
    identityId,
    type,
    method: "password",
    outcome: "success",
    network: "203.0.113.0/24",
    client: "Firefox on Linux",
    createdAt: at(ms),
    ...overrides,
  };
}

/** A pending address change of the identity. */
export function addressChange(
  identityId: string,
  overrides: Partial<AddressChangeRecord> = {},
): AddressChangeRecord {
  return {
    id: randomUUID(),
    identityId,
    status: "pending",
    trait: "traits.email",
    via: "email",
    oldValue: "old@example.com",
    newValue: "new@example.com",
    verificationFlowId: randomUUID(),
    sessionId: randomUUID(),
    revertHmac: randomUUID(),
    revertExpiresAt: at(1000),
    createdAt: at(10),
    updatedAt: at(10),
    ...overrides,
  };
}
