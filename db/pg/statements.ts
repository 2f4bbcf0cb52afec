import { type AnyColumn, and, type asc as ascending, desc, eq, inArray, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { keepUsedState } from "../flow-state.ts";
import { rowPlaceholders, setPlaceholders } from "../placeholders.ts";
import * as schema from "./schema.ts";

export type PgDb = NodePgDatabase<typeof schema>;

const placeholder = sql.placeholder;

/**
 * How an identity is loaded with its children: one statement, so one round trip, with the
 * children in read order. Relational queries alias the nested tables, hence the callbacks.
 */
export const identityWith = {
  credentials: {
    orderBy: orderByCreatedAtThenId,
    with: { identifiers: { columns: { identifier: true }, orderBy: orderByPosition } },
  },
  verifiableAddresses: { orderBy: orderByCreatedAtThenId },
  recoveryAddresses: { orderBy: orderByCreatedAtThenId },
} as const;

function orderByCreatedAtThenId(
  t: { createdAt: AnyColumn; id: AnyColumn },
  { asc }: { asc: typeof ascending },
) {
  // Byte order, as in SQLite and in the store's own sort of written children, whatever the
  // database's collation.
  return [asc(t.createdAt), sql`${t.id} collate "C"`];
}

function orderByPosition(t: { position: AnyColumn }, { asc }: { asc: typeof ascending }) {
  return [asc(t.position)];
}

/**
 * The prepared statements of the hot paths. Named, so that each pooled connection parses and
 * plans them once. Identity writes run inside transactions on a dedicated connection and use the
 * query builder (multi-row inserts, few round trips) instead.
 */
export function prepareStatements(db: PgDb) {
  const { addressChanges, identityCredentialIdentifiers, sessions, selfserviceFlows } = schema;
  return {
    identityById: db.query.identities
      .findFirst({ where: (t) => eq(t.id, placeholder("id")), with: identityWith })
      .prepare("tessera_identity_by_id"),
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
      .prepare("tessera_identity_by_identifier"),

    sessionById: db
      .select()
      .from(sessions)
      .where(eq(sessions.id, placeholder("id")))
      .prepare("tessera_session_by_id"),
    sessionByToken: db
      .select()
      .from(sessions)
      .where(eq(sessions.token, placeholder("token")))
      .prepare("tessera_session_by_token"),
    insertSession: db.insert(sessions).values(rowPlaceholders(sessions)).prepare("tessera_insert_session"),
    updateSession: db
      .update(sessions)
      .set(setPlaceholders(sessions, "id"))
      .where(eq(sessions.id, placeholder("id")))
      .prepare("tessera_update_session"),

    flowById: db
      .select()
      .from(selfserviceFlows)
      .where(eq(selfserviceFlows.id, placeholder("id")))
      .prepare("tessera_flow_by_id"),
    insertFlow: db
      .insert(selfserviceFlows)
      .values(rowPlaceholders(selfserviceFlows))
      .prepare("tessera_insert_flow"),
    updateFlow: db
      .update(selfserviceFlows)
      .set({ ...setPlaceholders(selfserviceFlows, "id"), state: keepUsedState(selfserviceFlows.state) })
      .where(eq(selfserviceFlows.id, placeholder("id")))
      .prepare("tessera_update_flow"),
    // Every settings flow shows a pending address change, when there is one.
    pendingAddressChange: db
      .select()
      .from(addressChanges)
      .where(
        and(eq(addressChanges.identityId, placeholder("identityId")), eq(addressChanges.status, "pending")),
      )
      .orderBy(desc(addressChanges.createdAt))
      .limit(1)
      .prepare("tessera_pending_address_change"),
  };
}

export type PgStatements = ReturnType<typeof prepareStatements>;
