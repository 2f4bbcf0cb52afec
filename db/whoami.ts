/**
 * whoami's lookup: the session and what whoami shows of its identity (the identity row and its
 * verifiable and recovery addresses, not credentials nor identifiers), in one prepared statement
 * per dialect. One statement is one snapshot, so no read transaction is needed, and the addresses
 * arrive aggregated as JSON instead of as one query each.
 */
import type { FullIdentity, SessionRecord, VerifiableAddressRecord } from "./store.ts";

export type Dialect = "sqlite" | "postgres";

const SESSION_COLUMNS = `s.id, s.token, s.logout_token, s.identity_id, s.active, s.aal, s.issued_at,
  s.authenticated_at, s.expires_at, s.authentication_methods, s.devices, s.created_at, s.updated_at`;

export function whoamiSql(dialect: Dialect, tokenParam: string): string {
  const sqlite = dialect === "sqlite";
  const agg = sqlite ? "json_group_array" : "json_agg";
  const obj = sqlite ? "json_object" : "json_build_object";
  const byId = sqlite ? "a.id" : `a.id collate "C"`;
  // The empty aggregate is null in PostgreSQL and '[]' in SQLite; both read as no addresses.
  return `select ${SESSION_COLUMNS},
  i.schema_id, i.state, i.state_changed_at, i.traits, i.metadata_public, i.external_id,
  i.created_at as identity_created_at, i.updated_at as identity_updated_at, i.version,
  (select ${agg}(${obj}('id', a.id, 'via', a.via, 'value', a.value, 'verified', a.verified,
     'status', a.status, 'verified_at', a.verified_at, 'created_at', a.created_at, 'updated_at', a.updated_at))
   from (select * from identity_verifiable_addresses a where a.identity_id = i.id
         order by a.created_at, ${byId}) a) as verifiable_addresses,
  (select ${agg}(${obj}('id', a.id, 'via', a.via, 'value', a.value, 'created_at', a.created_at,
     'updated_at', a.updated_at))
   from (select * from identity_recovery_addresses a where a.identity_id = i.id
         order by a.created_at, ${byId}) a) as recovery_addresses
from sessions s join identities i on i.id = s.identity_id
where s.token = ${tokenParam}`;
}

/**
 * whoami when the identity's JSON is already known: the session and only what says whether the
 * identity changed since (its stamp), so the address aggregates are not run at all. `extraColumn`:
 * one more select expression (PostgreSQL's session lookup adds the identity unless it is kept).
 */
export function whoamiHeadSql(tokenParam: string, extraColumn?: string): string {
  return whoamiHeadSelect(
    extraColumn,
    `sessions s join identities i on i.id = s.identity_id
where s.token = ${tokenParam}`,
  );
}

/** The head row's select over `from`, which names the session `s` and its identity `i`. */
export function whoamiHeadSelect(extraColumns: string | undefined, from: string): string {
  return `select ${SESSION_COLUMNS},
  i.state, i.version, i.created_at as identity_created_at, i.updated_at as identity_updated_at${
    extraColumns
      ? `,
  ${extraColumns}`
      : ""
  }
from ${from}`;
}

/**
 * What changes whenever anything whoami shows of an identity changes: every identity write goes
 * through `mutateIdentity`, which bumps `version` (children included), and a deleted identity's id
 * is never reused with the same creation time.
 */
export function identityStamp(version: number, createdAt: number | Date, updatedAt: number | Date): string {
  return `${version}:${new Date(createdAt).getTime()}:${new Date(updatedAt).getTime()}`;
}

export type WhoamiHeadRow = Omit<
  WhoamiRow,
  | "schema_id"
  | "state_changed_at"
  | "traits"
  | "metadata_public"
  | "external_id"
  | "verifiable_addresses"
  | "recovery_addresses"
>;

export interface WhoamiHead {
  sessionId: string;
  identityId: string;
  active: boolean;
  expiresAt: Date;
  identityState: FullIdentity["state"];
  identityStamp: string;
  /**
   * Changes whenever anything whoami shows of the session changes: its shown columns as stored
   * (timestamps, level, methods and devices as their JSON text), joined.
   */
  sessionStamp: string;
  /** The session record, mapped when asked for (a repeated whoami needs only the stamps). */
  session(): SessionRecord;
}

export function whoamiHeadFromRow(row: WhoamiHeadRow, parsed: boolean): WhoamiHead {
  return {
    sessionId: row.id,
    identityId: row.identity_id,
    active: Boolean(row.active),
    expiresAt: new Date(row.expires_at),
    identityState: row.state,
    identityStamp: identityStamp(row.version, row.identity_created_at, row.identity_updated_at),
    sessionStamp: [
      row.active,
      row.aal,
      row.issued_at,
      row.authenticated_at,
      row.expires_at,
      row.authentication_methods,
      row.devices,
    ]
      .map(stampValue)
      .join("|"),
    session: () => sessionOfRow(row, parsed),
  };
}

/** SQLite hands over numbers and JSON text; PostgreSQL Dates and parsed JSON. */
function stampValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Date) return String(value.getTime());
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function parseJson(value: unknown, parsed: boolean): unknown {
  return parsed || value === null || value === undefined ? (value ?? null) : JSON.parse(value as string);
}

function sessionOfRow(row: WhoamiHeadRow, parsed: boolean): SessionRecord {
  const methods = parseJson(row.authentication_methods, parsed) as { completedAt: string }[];
  return {
    id: row.id,
    token: row.token,
    logoutToken: row.logout_token,
    identityId: row.identity_id,
    active: Boolean(row.active),
    aal: row.aal,
    issuedAt: new Date(row.issued_at),
    authenticatedAt: new Date(row.authenticated_at),
    expiresAt: new Date(row.expires_at),
    authenticationMethods: methods.map((m) => ({
      ...(m as unknown as SessionRecord["authenticationMethods"][number]),
      completedAt: new Date(m.completedAt),
    })),
    devices: parseJson(row.devices, parsed) as SessionRecord["devices"],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export interface WhoamiRow {
  id: string;
  token: string;
  logout_token: string;
  identity_id: string;
  active: boolean | number;
  aal: SessionRecord["aal"];
  issued_at: number | Date;
  authenticated_at: number | Date;
  expires_at: number | Date;
  authentication_methods: unknown;
  devices: unknown;
  created_at: number | Date;
  updated_at: number | Date;
  schema_id: string;
  state: FullIdentity["state"];
  state_changed_at: number | Date | null;
  traits: unknown;
  metadata_public: unknown;
  external_id: string | null;
  identity_created_at: number | Date;
  identity_updated_at: number | Date;
  version: number;
  verifiable_addresses: unknown;
  recovery_addresses: unknown;
}

interface AddressJson {
  id: string;
  via: "email" | "sms";
  value: string;
  verified?: boolean | number;
  status?: VerifiableAddressRecord["status"];
  verified_at?: number | string | null;
  created_at: number | string;
  updated_at: number | string;
}

/**
 * Maps the row. SQLite hands JSON columns and aggregates over as text and booleans as 0/1;
 * PostgreSQL parses jsonb and json itself (`parsed`), and a jsonb string value must stay a string.
 */
export function whoamiFromRow(
  row: WhoamiRow,
  parsed: boolean,
): { session: SessionRecord; identity: FullIdentity } {
  const json = (value: unknown): unknown => parseJson(value, parsed);
  const identityId = row.identity_id;
  const addresses = (json(row.verifiable_addresses) ?? []) as AddressJson[];
  const recovery = (json(row.recovery_addresses) ?? []) as AddressJson[];
  const session = sessionOfRow(row, parsed);
  const identity: FullIdentity = {
    id: identityId,
    schemaId: row.schema_id,
    state: row.state,
    stateChangedAt: row.state_changed_at === null ? null : new Date(row.state_changed_at),
    traits: json(row.traits) as Record<string, unknown>,
    metadataPublic: json(row.metadata_public),
    // Not read: whoami never shows it.
    metadataAdmin: null,
    externalId: row.external_id,
    createdAt: new Date(row.identity_created_at),
    updatedAt: new Date(row.identity_updated_at),
    version: row.version,
    // Not read: whoami never shows them.
    credentials: [],
    verifiableAddresses: addresses.map((a) => ({
      id: a.id,
      identityId,
      value: a.value,
      via: a.via,
      verified: Boolean(a.verified),
      status: a.status!,
      verifiedAt: a.verified_at === null || a.verified_at === undefined ? null : new Date(a.verified_at),
      createdAt: new Date(a.created_at),
      updatedAt: new Date(a.updated_at),
    })),
    recoveryAddresses: recovery.map((a) => ({
      id: a.id,
      identityId,
      value: a.value,
      via: a.via,
      createdAt: new Date(a.created_at),
      updatedAt: new Date(a.updated_at),
    })),
  };
  return { session, identity };
}
