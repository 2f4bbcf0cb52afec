/**
 * The identity reads of the hot paths (the session lookup of every flow submission, the locked
 * read of every identity write), straight on better-sqlite3 statements prepared once: the query
 * builder's per-call work and per-row decoding were a fifth of a profile update's CPU. The records
 * are the ones the drizzle schema decodes to (store contract tests compare them).
 */
import type Database from "better-sqlite3";
import type { SessionRow } from "../mapping.ts";
import type {
  CredentialRecord,
  IdentityRecord,
  RecoveryAddressRecord,
  SessionRecord,
  VerifiableAddressRecord,
} from "../store.ts";

const IDENTITY_COLUMNS = `i.id, i.schema_id as schemaId, i.state, i.state_changed_at as stateChangedAt,
  i.traits, i.metadata_public as metadataPublic, i.metadata_admin as metadataAdmin,
  i.external_id as externalId, i.created_at as createdAt, i.updated_at as updatedAt, i.version`;

const SESSION_COLUMNS = `s.id as s_id, s.token as s_token, s.logout_token as s_logoutToken,
  s.identity_id as s_identityId, s.active as s_active, s.aal as s_aal, s.issued_at as s_issuedAt,
  s.authenticated_at as s_authenticatedAt, s.expires_at as s_expiresAt,
  s.authentication_methods as s_authenticationMethods, s.devices as s_devices,
  s.created_at as s_createdAt, s.updated_at as s_updatedAt`;

type Raw = Record<string, unknown>;

const date = (value: unknown): Date => new Date(value as number);
const optionalDate = (value: unknown): Date | null => (value === null ? null : new Date(value as number));
const json = (value: unknown): unknown => (value === null ? null : JSON.parse(value as string));

function identityFromRaw(row: Raw): IdentityRecord {
  return {
    id: row.id as string,
    schemaId: row.schemaId as string,
    state: row.state as IdentityRecord["state"],
    stateChangedAt: optionalDate(row.stateChangedAt),
    traits: json(row.traits) as Record<string, unknown>,
    metadataPublic: json(row.metadataPublic),
    metadataAdmin: json(row.metadataAdmin),
    externalId: row.externalId as string | null,
    createdAt: date(row.createdAt),
    updatedAt: date(row.updatedAt),
    version: row.version as number,
  };
}

function sessionFromRaw(row: Raw): SessionRow {
  return {
    id: row.s_id as string,
    token: row.s_token as string,
    logoutToken: row.s_logoutToken as string,
    identityId: row.s_identityId as string,
    active: row.s_active === 1,
    aal: row.s_aal as SessionRecord["aal"],
    issuedAt: date(row.s_issuedAt),
    authenticatedAt: date(row.s_authenticatedAt),
    expiresAt: date(row.s_expiresAt),
    authenticationMethods: json(row.s_authenticationMethods) as SessionRow["authenticationMethods"],
    devices: json(row.s_devices) as SessionRecord["devices"],
    createdAt: date(row.s_createdAt),
    updatedAt: date(row.s_updatedAt),
  };
}

export function prepareReads(client: Database.Database) {
  const identityById = client.prepare(`select ${IDENTITY_COLUMNS} from identities i where i.id = ?`);
  const sessionWithIdentity = client.prepare(
    `select ${SESSION_COLUMNS}, ${IDENTITY_COLUMNS} from sessions s
     join identities i on i.id = s.identity_id where s.token = ?`,
  );
  const credentials = client.prepare(
    `select id, identity_id as identityId, type, config, version, created_at as createdAt, updated_at as updatedAt
     from identity_credentials where identity_id = ? order by created_at, id`,
  );
  const identifiers = client.prepare(
    `select credential_id as credentialId, identifier from identity_credential_identifiers
     where identity_id = ? order by credential_id, position`,
  );
  const verifiable = client.prepare(
    `select id, identity_id as identityId, via, value, verified, status, verified_at as verifiedAt,
       created_at as createdAt, updated_at as updatedAt
     from identity_verifiable_addresses where identity_id = ? order by created_at, id`,
  );
  const recovery = client.prepare(
    `select id, identity_id as identityId, via, value, created_at as createdAt, updated_at as updatedAt
     from identity_recovery_addresses where identity_id = ? order by created_at, id`,
  );
  const sessionGuard = client.prepare(
    "select active, identity_id as identityId, expires_at as expiresAt from sessions where id = ?",
  );
  return {
    identityById(id: string): IdentityRecord | undefined {
      const row = identityById.get(id) as Raw | undefined;
      return row && identityFromRaw(row);
    },
    sessionWithIdentityByToken(token: string): { session: SessionRow; identity: IdentityRecord } | undefined {
      const row = sessionWithIdentity.get(token) as Raw | undefined;
      return row && { session: sessionFromRaw(row), identity: identityFromRaw(row) };
    },
    /** What a guarded write checks of its session (db/guard.ts), without decoding the rest of the row. */
    sessionGuard(id: string): { active: boolean; identityId: string; expiresAt: Date } | undefined {
      const row = sessionGuard.get(id) as Raw | undefined;
      return (
        row && {
          active: row.active === 1,
          identityId: row.identityId as string,
          expiresAt: date(row.expiresAt),
        }
      );
    },
    children(identityId: string) {
      return {
        credentials: (credentials.all(identityId) as Raw[]).map(
          (row): Omit<CredentialRecord, "identifiers"> => ({
            id: row.id as string,
            identityId: row.identityId as string,
            type: row.type as CredentialRecord["type"],
            config: json(row.config) as Record<string, unknown>,
            version: row.version as number,
            createdAt: date(row.createdAt),
            updatedAt: date(row.updatedAt),
          }),
        ),
        identifiers: identifiers.all(identityId) as { credentialId: string; identifier: string }[],
        verifiableAddresses: (verifiable.all(identityId) as Raw[]).map(
          (row): VerifiableAddressRecord => ({
            id: row.id as string,
            identityId: row.identityId as string,
            via: row.via as VerifiableAddressRecord["via"],
            value: row.value as string,
            verified: row.verified === 1,
            status: row.status as VerifiableAddressRecord["status"],
            verifiedAt: optionalDate(row.verifiedAt),
            createdAt: date(row.createdAt),
            updatedAt: date(row.updatedAt),
          }),
        ),
        recoveryAddresses: (recovery.all(identityId) as Raw[]).map(
          (row): RecoveryAddressRecord => ({
            id: row.id as string,
            identityId: row.identityId as string,
            via: row.via as RecoveryAddressRecord["via"],
            value: row.value as string,
            createdAt: date(row.createdAt),
            updatedAt: date(row.updatedAt),
          }),
        ),
      };
    },
  };
}

export type SqliteReads = ReturnType<typeof prepareReads>;
