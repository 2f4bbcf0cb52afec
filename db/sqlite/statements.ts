import { and, asc, desc, eq, getTableColumns, sql, type Table } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { keepUsedState } from "../flow-state.ts";
import { rowPlaceholders, setPlaceholders } from "../placeholders.ts";
import * as schema from "./schema.ts";

export type SqliteDb = BetterSQLite3Database<typeof schema>;

const placeholder = sql.placeholder;

/**
 * `column is :column`: true when the row's value is the one the update was given, nulls included.
 * The `…KeepingIndexed` updates leave indexed columns out of their SET and require them unchanged
 * here: SQLite rewrites an index entry whenever its column is assigned, even to the same value, so
 * each such column cost another page in the WAL on every write (a profile update wrote eight pages;
 * six without them). A row they do not match takes the full update.
 */
function unchanged<T extends Table>(table: T, key: keyof T["$inferSelect"] & string) {
  return sql`${getTableColumns(table)[key]} is ${placeholder(key)}`;
}

/**
 * The prepared statements of the hot paths and of identity writes (which run many small
 * statements inside one transaction). Preparing compiles against the tables, so this runs
 * after migrations, on first use.
 *
 * An identity is read with one statement per table rather than drizzle's relational query: in
 * SQLite statements cost no round trip, and these plain indexed selects measured several times
 * faster than the relational query's nested JSON subqueries (whose bound LIMIT also defeats the
 * primary-key fast path).
 */
export function prepareStatements(db: SqliteDb) {
  const {
    addressChanges,
    identities,
    identityCredentials,
    identityCredentialIdentifiers,
    identityVerifiableAddresses,
    identityRecoveryAddresses,
    sessions,
    selfserviceFlows,
    securityEvents,
  } = schema;
  const identityId = placeholder("identityId");
  return {
    identityById: db
      .select()
      .from(identities)
      .where(eq(identities.id, placeholder("id")))
      .prepare(),
    identityByIdentifier: db
      .select(getTableColumns(identities))
      .from(identityCredentialIdentifiers)
      .innerJoin(identities, eq(identities.id, identityCredentialIdentifiers.identityId))
      .where(
        and(
          eq(identityCredentialIdentifiers.credentialType, placeholder("type")),
          eq(identityCredentialIdentifiers.identifier, placeholder("identifier")),
        ),
      )
      .prepare(),
    credentialsOf: db
      .select()
      .from(identityCredentials)
      .where(eq(identityCredentials.identityId, identityId))
      .orderBy(asc(identityCredentials.createdAt), asc(identityCredentials.id))
      .prepare(),
    identifiersOf: db
      .select({
        credentialId: identityCredentialIdentifiers.credentialId,
        identifier: identityCredentialIdentifiers.identifier,
      })
      .from(identityCredentialIdentifiers)
      .where(eq(identityCredentialIdentifiers.identityId, identityId))
      .orderBy(asc(identityCredentialIdentifiers.credentialId), asc(identityCredentialIdentifiers.position))
      .prepare(),
    verifiableAddressesOf: db
      .select()
      .from(identityVerifiableAddresses)
      .where(eq(identityVerifiableAddresses.identityId, identityId))
      .orderBy(asc(identityVerifiableAddresses.createdAt), asc(identityVerifiableAddresses.id))
      .prepare(),
    recoveryAddressesOf: db
      .select()
      .from(identityRecoveryAddresses)
      .where(eq(identityRecoveryAddresses.identityId, identityId))
      .orderBy(asc(identityRecoveryAddresses.createdAt), asc(identityRecoveryAddresses.id))
      .prepare(),

    insertIdentity: db.insert(identities).values(rowPlaceholders(identities)).prepare(),
    updateIdentity: db
      .update(identities)
      .set(setPlaceholders(identities, "id"))
      .where(eq(identities.id, placeholder("id")))
      .prepare(),
    updateIdentityKeepingIndexed: db
      .update(identities)
      .set(setPlaceholders(identities, "id", "externalId"))
      .where(and(eq(identities.id, placeholder("id")), unchanged(identities, "externalId")))
      .prepare(),
    // An update writes only the children that changed, one row at a time. Deleting a credential
    // cascades to its identifiers.
    deleteCredential: db
      .delete(identityCredentials)
      .where(eq(identityCredentials.id, placeholder("id")))
      .prepare(),
    deleteVerifiableAddress: db
      .delete(identityVerifiableAddresses)
      .where(eq(identityVerifiableAddresses.id, placeholder("id")))
      .prepare(),
    deleteRecoveryAddress: db
      .delete(identityRecoveryAddresses)
      .where(eq(identityRecoveryAddresses.id, placeholder("id")))
      .prepare(),
    updateCredential: db
      .update(identityCredentials)
      .set(setPlaceholders(identityCredentials, "id"))
      .where(eq(identityCredentials.id, placeholder("id")))
      .prepare(),
    updateVerifiableAddress: db
      .update(identityVerifiableAddresses)
      .set(setPlaceholders(identityVerifiableAddresses, "id"))
      .where(eq(identityVerifiableAddresses.id, placeholder("id")))
      .prepare(),
    updateRecoveryAddress: db
      .update(identityRecoveryAddresses)
      .set(setPlaceholders(identityRecoveryAddresses, "id"))
      .where(eq(identityRecoveryAddresses.id, placeholder("id")))
      .prepare(),
    insertCredential: db.insert(identityCredentials).values(rowPlaceholders(identityCredentials)).prepare(),
    insertIdentifier: db
      .insert(identityCredentialIdentifiers)
      .values(rowPlaceholders(identityCredentialIdentifiers))
      .prepare(),
    insertVerifiableAddress: db
      .insert(identityVerifiableAddresses)
      .values(rowPlaceholders(identityVerifiableAddresses))
      .prepare(),
    insertRecoveryAddress: db
      .insert(identityRecoveryAddresses)
      .values(rowPlaceholders(identityRecoveryAddresses))
      .prepare(),

    // Every settings change and login writes one: built per call it was a twentieth of a profile update.
    insertSecurityEvent: db.insert(securityEvents).values(rowPlaceholders(securityEvents)).prepare(),

    sessionById: db
      .select()
      .from(sessions)
      .where(eq(sessions.id, placeholder("id")))
      .prepare(),
    sessionByToken: db
      .select()
      .from(sessions)
      .where(eq(sessions.token, placeholder("token")))
      .prepare(),
    sessionWithIdentityByToken: db
      .select({ session: sessions, identity: identities })
      .from(sessions)
      .innerJoin(identities, eq(identities.id, sessions.identityId))
      .where(eq(sessions.token, placeholder("token")))
      .prepare(),
    insertSession: db.insert(sessions).values(rowPlaceholders(sessions)).prepare(),
    updateSession: db
      .update(sessions)
      .set(setPlaceholders(sessions, "id"))
      .where(eq(sessions.id, placeholder("id")))
      .prepare(),
    updateSessionKeepingIndexed: db
      .update(sessions)
      .set(setPlaceholders(sessions, "id", "token", "logoutToken", "identityId"))
      .where(
        and(
          eq(sessions.id, placeholder("id")),
          unchanged(sessions, "token"),
          unchanged(sessions, "logoutToken"),
          unchanged(sessions, "identityId"),
        ),
      )
      .prepare(),

    flowById: db
      .select()
      .from(selfserviceFlows)
      .where(eq(selfserviceFlows.id, placeholder("id")))
      .prepare(),
    insertFlow: db.insert(selfserviceFlows).values(rowPlaceholders(selfserviceFlows)).prepare(),
    updateFlow: db
      .update(selfserviceFlows)
      .set({ ...setPlaceholders(selfserviceFlows, "id"), state: keepUsedState(selfserviceFlows.state) })
      .where(eq(selfserviceFlows.id, placeholder("id")))
      .prepare(),
    updateFlowKeepingIndexed: db
      .update(selfserviceFlows)
      .set({
        ...setPlaceholders(selfserviceFlows, "id", "identityId"),
        state: keepUsedState(selfserviceFlows.state),
      })
      .where(and(eq(selfserviceFlows.id, placeholder("id")), unchanged(selfserviceFlows, "identityId")))
      .prepare(),
    transitionFlow: db
      .update(selfserviceFlows)
      .set({ state: sql`${placeholder("to")}`, updatedAt: sql`${placeholder("at")}` })
      .where(and(eq(selfserviceFlows.id, placeholder("id")), eq(selfserviceFlows.state, placeholder("from"))))
      .prepare(),
    // Every settings flow shows a pending address change, when there is one.
    pendingAddressChange: db
      .select()
      .from(addressChanges)
      .where(
        and(eq(addressChanges.identityId, placeholder("identityId")), eq(addressChanges.status, "pending")),
      )
      .orderBy(desc(addressChanges.createdAt))
      .prepare(),
  };
}

export type SqliteStatements = ReturnType<typeof prepareStatements>;
