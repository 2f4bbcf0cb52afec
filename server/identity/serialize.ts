import type { IdentityJson } from "#shared/identity.ts";
import type { CredentialRecord, FullIdentity } from "../../db/store.ts";
import { truncateDeepJson } from "../decoding/json-bounds.ts";
import { toRfc3339 } from "../time.ts";
import { schemaUrlId } from "./registry.ts";
import { type TraitPolicy, visibleTraits } from "./trait-policy.ts";

/**
 * The identity as Kratos serialises it (contract §14.1, OpenAPI `identity`). Keys follow the
 * order of Kratos's Go struct so that responses read the same; empty address lists and a null
 * `state_changed_at` are omitted as Go's `omitempty` does.
 */

export interface IdentityJsonOptions {
  /** `serve.public.base_url`, with a trailing slash. */
  publicBaseUrl: string;
  /** Admin APIs: adds `credentials` and `metadata_admin`. */
  admin?: boolean;
  /** Credential types whose `config` is included (admin `include_credential`). */
  includeCredentialConfig?: readonly string[];
  /** Self-service answers: the schema's rules, so admin-only traits are left out. */
  traitPolicy?: TraitPolicy;
  /** Rewrites a credential's config before it is shown (the admin API decrypts oidc tokens). */
  openConfig?: (credential: CredentialRecord) => Record<string, unknown>;
}

/**
 * Stored JSON nested deeper than this is shown cut off (deeper values become null). Nothing the API
 * accepts today comes near it (bodies are bounded at MAX_JSON_DEPTH), but data stored before that
 * bound, or written straight into the database, must still render: JSON.stringify and every other
 * recursive step downstream would overflow the stack on it, and the account would answer 500 forever.
 */
export const MAX_RENDERED_JSON_DEPTH = 256;

const renderable = <T>(value: T): T => truncateDeepJson(value, MAX_RENDERED_JSON_DEPTH);

type CredentialJson = NonNullable<IdentityJson["credentials"]>[string];

/** Only the hash of a password credential is ever shown, never other stored fields. */
function exposedConfig(credential: CredentialRecord): Record<string, unknown> {
  if (credential.type === "password") return { hashed_password: credential.config.hashed_password };
  return structuredClone(renderable(credential.config));
}

function credentialToJson(
  credential: CredentialRecord,
  includeConfig: boolean,
  openConfig?: IdentityJsonOptions["openConfig"],
): CredentialJson {
  const shown = openConfig ? { ...credential, config: openConfig(credential) } : credential;
  return {
    type: credential.type,
    identifiers: [...credential.identifiers],
    ...(includeConfig ? { config: exposedConfig(shown) } : {}),
    version: credential.version,
    created_at: toRfc3339(credential.createdAt),
    updated_at: toRfc3339(credential.updatedAt),
  };
}

export function identityToJson(identity: FullIdentity, opts: IdentityJsonOptions): IdentityJson {
  const base = opts.publicBaseUrl.endsWith("/") ? opts.publicBaseUrl : `${opts.publicBaseUrl}/`;
  const json: Partial<IdentityJson> = { id: identity.id };
  if (opts.admin) {
    const included = new Set(opts.includeCredentialConfig ?? []);
    const credentials: Record<string, CredentialJson> = {};
    // Go marshals maps with sorted keys.
    const sorted = [...identity.credentials].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    for (const credential of sorted) {
      credentials[credential.type] ??= credentialToJson(
        credential,
        included.has(credential.type),
        opts.openConfig,
      );
    }
    json.credentials = credentials;
  }
  json.schema_id = identity.schemaId;
  json.schema_url = `${base}schemas/${schemaUrlId(identity.schemaId)}`;
  json.state = identity.state;
  if (identity.stateChangedAt) json.state_changed_at = toRfc3339(identity.stateChangedAt);
  json.traits = renderable(
    opts.traitPolicy ? visibleTraits(opts.traitPolicy, identity.traits) : identity.traits,
  );
  if (identity.verifiableAddresses.length > 0) {
    json.verifiable_addresses = identity.verifiableAddresses.map((a) => ({
      id: a.id,
      value: a.value,
      verified: a.verified,
      via: a.via,
      status: a.status,
      ...(a.verifiedAt ? { verified_at: toRfc3339(a.verifiedAt) } : {}),
      created_at: toRfc3339(a.createdAt),
      updated_at: toRfc3339(a.updatedAt),
    }));
  }
  if (identity.recoveryAddresses.length > 0) {
    json.recovery_addresses = identity.recoveryAddresses.map((a) => ({
      id: a.id,
      value: a.value,
      via: a.via,
      created_at: toRfc3339(a.createdAt),
      updated_at: toRfc3339(a.updatedAt),
    }));
  }
  json.metadata_public = renderable(identity.metadataPublic ?? null);
  if (opts.admin) json.metadata_admin = renderable(identity.metadataAdmin ?? null);
  if (identity.externalId) json.external_id = identity.externalId;
  json.created_at = toRfc3339(identity.createdAt);
  json.updated_at = toRfc3339(identity.updatedAt);
  json.organization_id = null;
  return json as IdentityJson;
}
