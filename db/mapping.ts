/**
 * Record <-> row conversions shared by both stores. The drizzle schemas of both dialects decode to
 * the same row shapes (Dates, parsed JSON, booleans), so most records are stored as they are; only
 * what a row cannot hold directly is converted here.
 */
import type {
  AuthenticationMethodRecord,
  CredentialRecord,
  FullIdentity,
  IdentityRecord,
  RecoveryAddressRecord,
  SessionRecord,
  VerifiableAddressRecord,
} from "./store.ts";

/** JSON cannot hold a Date, so the completion time is kept as an ISO string. */
export interface StoredAuthenticationMethod {
  method: string;
  aal: AuthenticationMethodRecord["aal"];
  completedAt: string;
  provider?: string;
}

export type CredentialRow = Omit<CredentialRecord, "identifiers">;

export interface IdentifierRow {
  credentialId: string;
  identityId: string;
  credentialType: CredentialRecord["type"];
  identifier: string;
  position: number;
}

export type SessionRow = Omit<SessionRecord, "authenticationMethods"> & {
  authenticationMethods: StoredAuthenticationMethod[];
};

/** What a relational query for an identity with all its children returns (PostgreSQL store). */
export interface IdentityTree extends IdentityRecord {
  credentials: (CredentialRow & { identifiers: { identifier: string }[] })[];
  verifiableAddresses: VerifiableAddressRecord[];
  recoveryAddresses: RecoveryAddressRecord[];
}

/** Sorts children the way they are read back, so a written identity equals its next read. */
export function normaliseIdentity(identity: FullIdentity): FullIdentity {
  const identityId = identity.id;
  return {
    ...identity,
    credentials: identity.credentials.map((c) => ({ ...c, identityId })).sort(compareCreatedAtThenId),
    verifiableAddresses: identity.verifiableAddresses
      .map((a) => ({ ...a, identityId }))
      .sort(compareCreatedAtThenId),
    recoveryAddresses: identity.recoveryAddresses
      .map((a) => ({ ...a, identityId }))
      .sort(compareCreatedAtThenId),
  };
}

function compareCreatedAtThenId(
  a: { createdAt: Date; id: string },
  b: { createdAt: Date; id: string },
): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function identityRow(identity: FullIdentity): IdentityRecord {
  const { credentials: _c, verifiableAddresses: _v, recoveryAddresses: _r, ...row } = identity;
  return row;
}

export function credentialRow(credential: CredentialRecord): CredentialRow {
  const { identifiers: _identifiers, ...row } = credential;
  return row;
}

export function identifierRows(credential: CredentialRecord): IdentifierRow[] {
  return credential.identifiers.map((identifier, position) => ({
    credentialId: credential.id,
    identityId: credential.identityId,
    credentialType: credential.type,
    identifier,
    position,
  }));
}

export function identityFromTree(tree: IdentityTree): FullIdentity {
  return {
    ...tree,
    credentials: tree.credentials.map((c) => ({ ...c, identifiers: c.identifiers.map((i) => i.identifier) })),
  };
}

/** The rows of one identity's children, each list already in read order. */
export interface IdentityChildRows {
  credentials: CredentialRow[];
  /** Ordered by position within each credential. */
  identifiers: Pick<IdentifierRow, "credentialId" | "identifier">[];
  verifiableAddresses: VerifiableAddressRecord[];
  recoveryAddresses: RecoveryAddressRecord[];
}

/** An identity's children: what `updateIdentity` compares and writes. */
export type IdentityChildren = Pick<
  FullIdentity,
  "credentials" | "verifiableAddresses" | "recoveryAddresses"
>;

/**
 * The identity's current state from its row (read, and locked, by the mutation) and the children
 * of the state the change was decided on, when that state is still the current version: the
 * children need not be read again. Undefined when they must be.
 */
export function currentState(
  row: IdentityRecord,
  decidedOn: FullIdentity | undefined,
): FullIdentity | undefined {
  if (decidedOn === undefined || decidedOn.id !== row.id || decidedOn.version !== row.version)
    return undefined;
  return {
    ...row,
    credentials: decidedOn.credentials,
    verifiableAddresses: decidedOn.verifiableAddresses,
    recoveryAddresses: decidedOn.recoveryAddresses,
  };
}

/** The children of one identity from separately selected rows (SQLite store). */
export function childrenFromRows(children: IdentityChildRows): IdentityChildren {
  return {
    credentials: children.credentials.map((credential) => ({
      ...credential,
      identifiers: children.identifiers
        .filter((i) => i.credentialId === credential.id)
        .map((i) => i.identifier),
    })),
    verifiableAddresses: children.verifiableAddresses,
    recoveryAddresses: children.recoveryAddresses,
  };
}

// Identity updates write only the children that changed.

/** The writes that turn one table's stored rows of an identity into the given ones. */
export interface ChildWrites<T> {
  /** Ids of rows that are gone, or whose unique columns changed (they are inserted again). */
  delete: string[];
  /** Rows whose unique columns are unchanged, only other columns differ: updated in place. */
  update: T[];
  /** New rows, and the deleted rows whose unique columns changed. */
  insert: T[];
}

export interface IdentityChildWrites {
  /** A credential's identifiers are part of its unique columns: changing them rewrites it. */
  credentials: ChildWrites<CredentialRecord>;
  verifiableAddresses: ChildWrites<VerifiableAddressRecord>;
  recoveryAddresses: ChildWrites<RecoveryAddressRecord>;
}

/** Whether a plan writes any child at all. */
export function hasChildWrites(writes: IdentityChildWrites): boolean {
  return [writes.credentials, writes.verifiableAddresses, writes.recoveryAddresses].some(
    (w) => w.delete.length > 0 || w.update.length > 0 || w.insert.length > 0,
  );
}

/**
 * Compares the stored children of an identity (read inside the update's transaction) with the
 * next ones, matched by id. Unchanged rows are left alone. Applying the writes in the order
 * delete, update, insert cannot break a unique rule the next children satisfy: every row whose
 * unique columns change is deleted before any is inserted (two addresses may swap values), and
 * in-place updates keep their unique columns.
 */
export function planChildWrites(stored: IdentityChildren, next: IdentityChildren): IdentityChildWrites {
  return {
    credentials: planWrites(stored.credentials, next.credentials, sameCredential, sameCredentialKey),
    verifiableAddresses: planWrites(
      stored.verifiableAddresses,
      next.verifiableAddresses,
      sameVerifiableAddress,
      sameAddressKey,
    ),
    recoveryAddresses: planWrites(
      stored.recoveryAddresses,
      next.recoveryAddresses,
      sameRecoveryAddress,
      sameAddressKey,
    ),
  };
}

function planWrites<T extends { id: string }>(
  stored: readonly T[],
  next: readonly T[],
  same: (a: T, b: T) => boolean,
  sameKey: (a: T, b: T) => boolean,
): ChildWrites<T> {
  const unmatched = new Map(stored.map((row) => [row.id, row]));
  const writes: ChildWrites<T> = { delete: [], update: [], insert: [] };
  for (const row of next) {
    const old = unmatched.get(row.id);
    // A repeated id finds no stored row the second time and is inserted: a conflict, as on create.
    unmatched.delete(row.id);
    if (old === undefined) {
      writes.insert.push(row);
    } else if (!same(old, row)) {
      if (sameKey(old, row)) {
        writes.update.push(row);
      } else {
        writes.delete.push(old.id);
        writes.insert.push(row);
      }
    }
  }
  writes.delete.push(...unmatched.keys());
  return writes;
}

function sameCredentialKey(a: CredentialRecord, b: CredentialRecord): boolean {
  return (
    a.identityId === b.identityId &&
    a.type === b.type &&
    a.identifiers.length === b.identifiers.length &&
    a.identifiers.every((identifier, i) => identifier === b.identifiers[i])
  );
}

function sameCredential(a: CredentialRecord, b: CredentialRecord): boolean {
  return (
    sameCredentialKey(a, b) &&
    a.version === b.version &&
    sameTime(a.createdAt, b.createdAt) &&
    sameTime(a.updatedAt, b.updatedAt) &&
    sameJson(a.config, b.config)
  );
}

function sameAddressKey(
  a: VerifiableAddressRecord | RecoveryAddressRecord,
  b: VerifiableAddressRecord | RecoveryAddressRecord,
): boolean {
  return a.identityId === b.identityId && a.via === b.via && a.value === b.value;
}

function sameRecoveryAddress(a: RecoveryAddressRecord, b: RecoveryAddressRecord): boolean {
  return sameAddressKey(a, b) && sameTime(a.createdAt, b.createdAt) && sameTime(a.updatedAt, b.updatedAt);
}

function sameVerifiableAddress(a: VerifiableAddressRecord, b: VerifiableAddressRecord): boolean {
  return (
    sameRecoveryAddress(a, b) &&
    a.verified === b.verified &&
    a.status === b.status &&
    sameTime(a.verifiedAt, b.verifiedAt)
  );
}

function sameTime(a: Date | null, b: Date | null): boolean {
  return a === b || (a instanceof Date && b instanceof Date && a.getTime() === b.getTime());
}

/**
 * Whether two values store as the same JSON: key order is ignored (PostgreSQL's jsonb sorts keys)
 * and so are undefined properties (JSON.stringify drops them). Anything else that JSON would
 * change (dates, undefined in arrays, NaN) compares unequal, which only costs a rewrite.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  // An explicit stack, not recursion: stored JSON may nest deeper than the call stack allows.
  const pairs: [unknown, unknown][] = [[a, b]];
  while (pairs.length > 0) {
    const [x, y] = pairs.pop()!;
    if (x === y) {
      if (x === undefined) return false;
      continue;
    }
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    if (Array.isArray(x) || Array.isArray(y)) {
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) pairs.push([x[i], y[i]]);
      continue;
    }
    if (!isPlainObject(x) || !isPlainObject(y)) return false;
    const xKeys = definedKeys(x);
    if (xKeys.length !== definedKeys(y).length) return false;
    for (const key of xKeys) {
      if (!Object.hasOwn(y, key)) return false;
      pairs.push([x[key], y[key]]);
    }
  }
  return true;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function definedKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((key) => value[key] !== undefined);
}

export function sessionRow(session: SessionRecord): SessionRow {
  return {
    ...session,
    authenticationMethods: session.authenticationMethods.map(({ completedAt, ...rest }) => ({
      ...rest,
      completedAt: completedAt.toISOString(),
    })),
  };
}

export function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    ...row,
    authenticationMethods: row.authenticationMethods.map(({ completedAt, ...rest }) => ({
      ...rest,
      completedAt: new Date(completedAt),
    })),
  };
}
