/**
 * PostgreSQL's session lookup in one round trip, whether or not the identity is kept: whoami's
 * head row (the session and the identity's stamp) and, unless the identity is still the one this
 * process keeps (named by the parameters), the whole identity with its children as JSON. Asking
 * first and reading after would cost a second round trip on every miss, and with two processes
 * writing the same identities a miss is every other request.
 */
import type {
  CredentialRecord,
  FullIdentity,
  RecoveryAddressRecord,
  VerifiableAddressRecord,
} from "../store.ts";
import { type WhoamiHeadRow, whoamiHeadSql } from "../whoami.ts";

// Children in read order: by creation, then id in byte order whatever the collation (as identityWith).
const IDENTITY_JSON = `json_build_object(
  'id', i.id, 'schemaId', i.schema_id, 'state', i.state, 'stateChangedAt', i.state_changed_at,
  'traits', i.traits, 'metadataPublic', i.metadata_public, 'metadataAdmin', i.metadata_admin,
  'externalId', i.external_id, 'createdAt', i.created_at, 'updatedAt', i.updated_at, 'version', i.version,
  'credentials', coalesce((select json_agg(json_build_object('id', c.id, 'identityId', c.identity_id,
      'type', c.type, 'config', c.config, 'version', c.version, 'createdAt', c.created_at,
      'updatedAt', c.updated_at, 'identifiers', coalesce((select json_agg(x.identifier order by x.position)
        from identity_credential_identifiers x where x.credential_id = c.id), '[]'::json))
    order by c.created_at, c.id collate "C") from identity_credentials c where c.identity_id = i.id), '[]'::json),
  'verifiableAddresses', coalesce((select json_agg(json_build_object('id', a.id, 'identityId', a.identity_id,
      'via', a.via, 'value', a.value, 'verified', a.verified, 'status', a.status, 'verifiedAt', a.verified_at,
      'createdAt', a.created_at, 'updatedAt', a.updated_at) order by a.created_at, a.id collate "C")
    from identity_verifiable_addresses a where a.identity_id = i.id), '[]'::json),
  'recoveryAddresses', coalesce((select json_agg(json_build_object('id', a.id, 'identityId', a.identity_id,
      'via', a.via, 'value', a.value, 'createdAt', a.created_at, 'updatedAt', a.updated_at)
      order by a.created_at, a.id collate "C")
    from identity_recovery_addresses a where a.identity_id = i.id), '[]'::json))`;

/**
 * $1 the token; $2–$5 the kept identity's id, version and times (nulls when none is kept): when they
 * are the stored ones, `identity` is null and the kept one is current.
 */
export const SESSION_WITH_IDENTITY_SQL = whoamiHeadSql(
  "$1",
  `case when i.id = $2::text and i.version = $3::integer and i.created_at = $4::timestamptz
     and i.updated_at = $5::timestamptz then null else ${IDENTITY_JSON} end as identity`,
);

export type SessionWithIdentityRow = WhoamiHeadRow & { identity: IdentityJson | null };

type Stamped<T> = Omit<T, "createdAt" | "updatedAt"> & { createdAt: string; updatedAt: string };

interface IdentityJson extends Stamped<Omit<FullIdentity, "stateChangedAt" | keyof Children>> {
  stateChangedAt: string | null;
  credentials: Stamped<CredentialRecord>[];
  verifiableAddresses: (Stamped<Omit<VerifiableAddressRecord, "verifiedAt">> & {
    verifiedAt: string | null;
  })[];
  recoveryAddresses: Stamped<RecoveryAddressRecord>[];
}

type Children = Pick<FullIdentity, "credentials" | "verifiableAddresses" | "recoveryAddresses">;

const date = (value: string): Date => new Date(value);
const optionalDate = (value: string | null): Date | null => (value === null ? null : new Date(value));

/** The identity as the other reads map it (the store contract compares them). */
export function identityFromJson(json: IdentityJson): FullIdentity {
  return {
    ...json,
    stateChangedAt: optionalDate(json.stateChangedAt),
    createdAt: date(json.createdAt),
    updatedAt: date(json.updatedAt),
    credentials: json.credentials.map((c) => ({
      ...c,
      createdAt: date(c.createdAt),
      updatedAt: date(c.updatedAt),
    })),
    verifiableAddresses: json.verifiableAddresses.map((a) => ({
      ...a,
      verifiedAt: optionalDate(a.verifiedAt),
      createdAt: date(a.createdAt),
      updatedAt: date(a.updatedAt),
    })),
    recoveryAddresses: json.recoveryAddresses.map((a) => ({
      ...a,
      createdAt: date(a.createdAt),
      updatedAt: date(a.updatedAt),
    })),
  };
}
