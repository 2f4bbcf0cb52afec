import type { CredentialRecord, FullIdentity, IdentityState } from "../../db/store.ts";
import type { AppDeps } from "../deps.ts";
import { errors } from "../request/errors.ts";
import { applyTraits } from "./apply.ts";
import { checkTraits } from "./check.ts";
import { deriveTraits } from "./extension.ts";
import type { SchemaEntry } from "./registry.ts";
import type { TraitIssue } from "./validate.ts";

/**
 * The one place where traits become a valid identity: schema validation, the `ory.sh/kratos`
 * extension (identifiers, addresses) and their normalisation. Registration, the settings flow and
 * the admin API all go through here, so they cannot disagree about what a valid identity is.
 */

export type TraitsResult = { ok: true; identity: FullIdentity } | { ok: false; issues: TraitIssue[] };

export function schemaEntry(deps: AppDeps, schemaId: string): SchemaEntry {
  const entry = deps.registry.get(schemaId);
  if (!entry) throw errors.unknownSchemaId(schemaId);
  return entry;
}

/** Validates traits against the identity's schema and returns the identity with them applied. */
export function withTraits(deps: AppDeps, identity: FullIdentity, traits: unknown): TraitsResult {
  const entry = schemaEntry(deps, identity.schemaId);
  const { issues, derived } = checkTraits(entry, traits);
  if (issues.length > 0) return { ok: false, issues };
  const next = applyTraits(identity, traits as Record<string, unknown>, derived, deps.clock.now(), () =>
    crypto.randomUUID(),
  );
  return { ok: true, identity: next };
}

export interface NewIdentityInput {
  schemaId: string;
  traits: unknown;
  state?: IdentityState;
  metadataPublic?: unknown;
  metadataAdmin?: unknown;
  externalId?: string | null;
}

/** A new identity (not yet stored) with validated traits and derived addresses; no credentials yet. */
export function newIdentity(deps: AppDeps, input: NewIdentityInput): TraitsResult {
  const now = deps.clock.now();
  const blank: FullIdentity = {
    id: crypto.randomUUID(),
    schemaId: input.schemaId,
    state: input.state ?? "active",
    stateChangedAt: now,
    traits: {},
    metadataPublic: input.metadataPublic ?? null,
    metadataAdmin: input.metadataAdmin ?? null,
    externalId: input.externalId ?? null,
    createdAt: now,
    updatedAt: now,
    credentials: [],
    verifiableAddresses: [],
    recoveryAddresses: [],
  };
  return withTraits(deps, blank, input.traits);
}

/** The password identifiers the schema derives from the identity's traits. */
export function passwordIdentifiers(deps: AppDeps, identity: FullIdentity): string[] {
  return deriveTraits(schemaEntry(deps, identity.schemaId), identity.traits).identifiers.password ?? [];
}

/** Sets (or replaces) the identity's password credential; identifiers come from its traits. */
export function withPassword(deps: AppDeps, identity: FullIdentity, hashedPassword: string): FullIdentity {
  const now = deps.clock.now();
  const existing = identity.credentials.find((c) => c.type === "password");
  const credential: CredentialRecord = {
    id: existing?.id ?? crypto.randomUUID(),
    identityId: identity.id,
    type: "password",
    identifiers: passwordIdentifiers(deps, identity),
    config: { hashed_password: hashedPassword },
    version: 0,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  return {
    ...identity,
    credentials: [...identity.credentials.filter((c) => c.type !== "password"), credential],
    updatedAt: now,
  };
}
