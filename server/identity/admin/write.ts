import { createIdentityBodySchema, updateIdentityBodySchema } from "#shared/admin.ts";
import type { IdentityJson } from "#shared/identity.ts";
import type {
  FullIdentity,
  IdentityState,
  RecoveryAddressRecord,
  VerifiableAddressRecord,
} from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import { errors } from "../../request/errors.ts";
import type { AppliedChange } from "../commit.ts";
import { newIdentity, withTraits } from "../manager.ts";
import {
  oidcIdentifier,
  type PreparedImport,
  prepareImport,
  storedProviders,
  withImportedCredentials,
  withImportedVerification,
  withOidcProviders,
  withPreparedImport,
} from "./imports.ts";
import {
  commitAdminChange,
  invalidTraits,
  isUuid,
  loadIdentity,
  notFound,
  parseInput,
  storeNew,
  toAdminIdentityJson,
} from "./shared.ts";

/**
 * Creating, replacing and deleting identities and their credentials. A change of an existing
 * identity is a synchronous function of its current state, committed with `commitAdminChange`
 * (one transaction on the state current at that moment); slow work (hashing) is done before.
 */

/** `POST /admin/identities`: `input` is a `createIdentityBody`; answers the stored identity. */
export async function createIdentity(deps: AppDeps, input: unknown): Promise<IdentityJson> {
  const body = parseInput(createIdentityBodySchema, input, "The request body is invalid: ");
  if (body.organization_id) throw errors.badRequest("Organizations are not supported by this server.");
  const built = newIdentity(deps, {
    schemaId: body.schema_id || deps.registry.defaultId,
    traits: body.traits,
    state: body.state ?? "active",
    metadataPublic: body.metadata_public ?? null,
    metadataAdmin: body.metadata_admin ?? null,
    externalId: body.external_id || null,
  });
  if (!built.ok) throw invalidTraits(built.issues);
  let identity = withImportedVerification(built.identity, body.verifiable_addresses ?? [], deps.clock.now());
  identity = await withImportedCredentials(deps, identity, body.credentials);
  const stored = await storeNew(deps, identity);
  deps.audit("identity.created", { by: "admin", identity_id: stored.id });
  return toAdminIdentityJson(deps, stored);
}

/** Everything an admin update sets; the rest of the identity is kept or re-derived. */
export interface IdentityRevision {
  schemaId: string;
  traits: Record<string, unknown>;
  state: IdentityState;
  metadataPublic: unknown;
  metadataAdmin: unknown;
  externalId: string | null;
  /** Address records the traits are reconciled against (PATCH may edit them); default: current. */
  verifiableAddresses?: VerifiableAddressRecord[];
  recoveryAddresses?: RecoveryAddressRecord[];
}

/**
 * The one path of PUT and PATCH, synchronous so that it can run on the current state inside the
 * store's transaction: validate the traits, re-derive addresses, add the prepared credentials.
 */
export function revise(
  deps: AppDeps,
  current: FullIdentity,
  revision: IdentityRevision,
  prepared: PreparedImport = {},
): AppliedChange {
  const now = deps.clock.now();
  const base: FullIdentity = {
    ...current,
    schemaId: revision.schemaId,
    state: revision.state,
    stateChangedAt: revision.state !== current.state ? now : current.stateChangedAt,
    metadataPublic: revision.metadataPublic ?? null,
    metadataAdmin: revision.metadataAdmin ?? null,
    externalId: revision.externalId,
    verifiableAddresses: revision.verifiableAddresses ?? current.verifiableAddresses,
    recoveryAddresses: revision.recoveryAddresses ?? current.recoveryAddresses,
  };
  const result = withTraits(deps, base, revision.traits);
  if (!result.ok) return result;
  return { ok: true, identity: withPreparedImport(deps, result.identity, prepared) };
}

/**
 * `PUT /admin/identities/{id}`: replaces traits and both metadata (omitted means cleared) and
 * the external id; keeps schema and state unless given; credentials are imported when given.
 */
export async function updateIdentity(deps: AppDeps, id: string, input: unknown): Promise<IdentityJson> {
  const body = parseInput(updateIdentityBodySchema, input, "The request body is invalid: ");
  const loaded = await loadIdentity(deps, id);
  const revisionOf = (current: FullIdentity): IdentityRevision => ({
    schemaId: body.schema_id || current.schemaId,
    traits: body.traits,
    state: body.state ?? current.state,
    metadataPublic: body.metadata_public,
    metadataAdmin: body.metadata_admin,
    externalId: body.external_id || null,
  });
  // Validated and hashed once on the loaded state; the commit re-runs the cheap part on the current one.
  const first = revise(deps, loaded, revisionOf(loaded));
  if (!first.ok) throw invalidTraits(first.issues);
  const prepared = await prepareImport(deps, first.identity, body.credentials);
  const committed = await commitAdminChange(deps, loaded, (current) =>
    revise(deps, current, revisionOf(current), prepared),
  );
  deps.audit("identity.updated", { by: "admin", identity_id: committed.id });
  return toAdminIdentityJson(deps, committed);
}

/** `DELETE /admin/identities/{id}`: the identity, its credentials, addresses and sessions. */
export async function deleteIdentity(deps: AppDeps, id: string): Promise<void> {
  if (!isUuid(id) || !(await deps.store.deleteIdentity(id.toLowerCase()))) throw notFound();
  deps.audit("identity.deleted", { by: "admin", identity_id: id.toLowerCase() });
}

/**
 * `DELETE /admin/identities/{id}/credentials/{type}`: removes one credential type. OIDC needs
 * `identifier` (`provider:subject`) and removes that one link; the credential goes with its last link.
 */
export async function deleteIdentityCredential(
  deps: AppDeps,
  id: string,
  type: string,
  identifier?: string,
): Promise<void> {
  const loaded = await loadIdentity(deps, id);
  await commitAdminChange(deps, loaded, (current) => ({
    ok: true,
    identity: withoutCredential(deps, current, type, identifier),
  }));
  deps.audit("identity.credential_deleted", { by: "admin", identity_id: loaded.id, credential_type: type });
}

/** The identity without one credential type (or one OIDC link); throws when there is none to remove. */
function withoutCredential(
  deps: AppDeps,
  identity: FullIdentity,
  type: string,
  identifier?: string,
): FullIdentity {
  const credential = identity.credentials.find((c) => c.type === type);
  if (!credential) {
    throw errors.notFound(`You tried to remove a ${type} but this user have no ${type} set up.`);
  }
  const now = deps.clock.now();
  if (credential.type === "oidc") {
    if (!identifier) {
      throw errors.badRequest(
        "The identifier query parameter (<provider>:<subject>) is required to delete an oidc credential.",
      );
    }
    const providers = storedProviders(credential);
    const kept = providers.filter((p) => oidcIdentifier(p.provider, p.subject) !== identifier);
    if (kept.length === providers.length) {
      throw errors.notFound(`The identity has no oidc credential with the identifier "${identifier}".`);
    }
    return withOidcProviders(identity, credential, kept, now);
  }
  return { ...identity, credentials: identity.credentials.filter((c) => c !== credential), updatedAt: now };
}
