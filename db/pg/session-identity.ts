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
import { type WhoamiHeadRow, whoamiHeadSelect } from "../whoami.ts";

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
 * Many lookups in one statement (`TurnBatch`): $1 the tokens; $2–$5 for each, the kept identity's
 * id, version and times (nulls when none is kept): when they are the stored ones, `identity` is
 * null and the kept one is current. `n` is the lookup's position (from 1) among the tokens.
 */
export const SESSIONS_WITH_IDENTITY_SQL = whoamiHeadSelect(
  `q.n, case when i.id = q.kept_id and i.version = q.kept_version and i.created_at = q.kept_created
     and i.updated_at = q.kept_updated then null else ${IDENTITY_JSON} end as identity`,
  `unnest($1::text[], $2::text[], $3::integer[], $4::timestamptz[], $5::timestamptz[])
    with ordinality as q(token, kept_id, kept_version, kept_created, kept_updated, n)
  join sessions s on s.token = q.token join identities i on i.id = s.identity_id`,
);

/** whoami's head row for many tokens ($1) in one statement, each with its position `n`. */
export const WHOAMI_HEADS_SQL = whoamiHeadSelect(
  "q.n",
  `unnest($1::text[]) with ordinality as q(token, n)
  join sessions s on s.token = q.token join identities i on i.id = s.identity_id`,
);

export type SessionWithIdentityRow = WhoamiHeadRow & { n: string; identity: IdentityJson | null };

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
