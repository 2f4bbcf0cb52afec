import { and, eq, inArray, sql } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { identityWith } from "../mapping.ts";
import { rowPlaceholders, setPlaceholders } from "../placeholders.ts";
import * as schema from "./schema.ts";

export type SqliteDb = BetterSQLite3Database<typeof schema>;

const placeholder = sql.placeholder;

/**
 * The prepared statements of the hot paths and of identity writes (which run many small
 * statements inside one transaction). Preparing compiles against the tables, so this runs
 * after migrations, on first use.
 */
export function prepareStatements(db: SqliteDb) {
  const {
    identities,
    identityCredentials,
    identityCredentialIdentifiers,
    identityVerifiableAddresses,
    identityRecoveryAddresses,
    sessions,
    selfserviceFlows,
  } = schema;
  return {
    identityById: db.query.identities
      .findFirst({ where: (t) => eq(t.id, placeholder("id")), with: identityWith })
      .prepare(),
    identityByIdentifier: db.query.identities
      .findFirst({
        where: (t) =>
          inArray(
            t.id,
            db
              .select({ id: identityCredentialIdentifiers.identityId })
              .from(identityCredentialIdentifiers)
              .where(
                and(
                  eq(identityCredentialIdentifiers.credentialType, placeholder("type")),
                  eq(identityCredentialIdentifiers.identifier, placeholder("identifier")),
                ),
              ),
          ),
        with: identityWith,
      })
      .prepare(),
    insertIdentity: db.insert(identities).values(rowPlaceholders(identities)).prepare(),
    updateIdentity: db
      .update(identities)
      .set(setPlaceholders(identities, "id"))
      .where(eq(identities.id, placeholder("id")))
      .prepare(),
    // Deleting the credentials cascades to their identifiers.
    deleteCredentials: db
      .delete(identityCredentials)
      .where(eq(identityCredentials.identityId, placeholder("identityId")))
      .prepare(),
    deleteVerifiableAddresses: db
      .delete(identityVerifiableAddresses)
      .where(eq(identityVerifiableAddresses.identityId, placeholder("identityId")))
      .prepare(),
    deleteRecoveryAddresses: db
      .delete(identityRecoveryAddresses)
      .where(eq(identityRecoveryAddresses.identityId, placeholder("identityId")))
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
    sessionWithIdentityByToken: db.query.sessions
      .findFirst({
        where: (t) => eq(t.token, placeholder("token")),
        with: { identity: { with: identityWith } },
      })
      .prepare(),
    insertSession: db.insert(sessions).values(rowPlaceholders(sessions)).prepare(),
    updateSession: db
      .update(sessions)
      .set(setPlaceholders(sessions, "id"))
      .where(eq(sessions.id, placeholder("id")))
      .prepare(),

    flowById: db
      .select()
      .from(selfserviceFlows)
      .where(eq(selfserviceFlows.id, placeholder("id")))
      .prepare(),
    insertFlow: db.insert(selfserviceFlows).values(rowPlaceholders(selfserviceFlows)).prepare(),
    updateFlow: db
      .update(selfserviceFlows)
      .set(setPlaceholders(selfserviceFlows, "id"))
      .where(eq(selfserviceFlows.id, placeholder("id")))
      .prepare(),
  };
}

export type SqliteStatements = ReturnType<typeof prepareStatements>;
