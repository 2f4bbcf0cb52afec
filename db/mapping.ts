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

/** Puts an identity together from separately selected rows (SQLite store). */
export function identityFromRows(row: IdentityRecord, children: IdentityChildRows): FullIdentity {
  return {
    ...row,
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
