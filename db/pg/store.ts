import { fileURLToPath } from "node:url";
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, ne, or, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { rethrowAsConflict } from "../conflict.ts";
import { USED_FLOW_STATE } from "../flow-state.ts";
import { sessionAllows } from "../guard.ts";
import { KeptIdentities, type KeptStamp } from "../kept-identities.ts";
import {
  type ChildWrites,
  childrenFromRows,
  credentialRow,
  currentState,
  hasChildWrites,
  type IdentityChildren,
  type IdentityChildWrites,
  identifierRows,
  identityFromTree,
  identityRow,
  normaliseIdentity,
  planChildWrites,
  sessionFromRow,
  sessionRow,
} from "../mapping.ts";
import { type MigrationState, migrationStates } from "../migration-status.ts";
import { keysetPage, withNextPageToken } from "../paging.ts";
import { asParams } from "../placeholders.ts";
import {
  type AccountDeletionRecord,
  AddressChangeMovedError,
  type AddressChangeRecord,
  type AddressChangeStatus,
  type ClaimCourierMessagesQuery,
  type ContinuityRecord,
  type CourierDispatchRecord,
  type CourierMessageRecord,
  type CredentialType,
  type ExpiringRecords,
  type FlowRecord,
  type FullIdentity,
  type IdentityMutation,
  type IdentityRecord,
  type ListCourierMessagesQuery,
  type ListIdentitiesQuery,
  type MutationGuard,
  type MutationResult,
  type RecoveryAddressRecord,
  type SecurityEventRecord,
  type SessionRecord,
  type Store,
  type StoredErrorRecord,
  type VerifiableAddressRecord,
} from "../store.ts";
import {
  type WhoamiHead,
  type WhoamiHeadRow,
  type WhoamiRow,
  whoamiFromRow,
  whoamiHeadFromRow,
  whoamiSql,
} from "../whoami.ts";
import { FLOWS_AND_PENDING_CHANGES_SQL, type FlowAndChangeRow, flowAndChangeOf } from "./flow-reads.ts";
import * as schema from "./schema.ts";
import {
  identityFromJson,
  SESSIONS_WITH_IDENTITY_SQL,
  type SessionWithIdentityRow,
  WHOAMI_HEADS_SQL,
} from "./session-identity.ts";
import { identityWith, type PgDb, type PgStatements, prepareStatements } from "./statements.ts";
import { byPosition, TurnBatch } from "./turn-batch.ts";

const migrationsFolder = fileURLToPath(new URL("../migrations/pg", import.meta.url));

const {
  identities,
  identityCredentials,
  identityCredentialIdentifiers,
  identityVerifiableAddresses,
  identityRecoveryAddresses,
  sessions,
  selfserviceFlowAttempts,
  selfserviceFlows,
  continuityContainers,
  selfserviceErrors,
  accountDeletions,
  addressChanges,
  courierMessages,
  securityEvents,
  courierMessageDispatches,
} = schema;

const EXPIRING = { flows: selfserviceFlows, sessions, continuity: continuityContainers } as const;

export interface PostgresStoreOptions {
  connectionString: string;
  /** Becomes every connection's search_path; its first schema also holds the migrations table. */
  searchPath?: string;
  /** Pool size. */
  maxConnections?: number;
}

const WHOAMI_SQL = whoamiSql("postgres", "$1");
/** How many session tokens `#identityOfToken` remembers, the oldest first out. */
const TOKENS_NAMED = 4096;

/** A session lookup: the token and, when one is kept, the identity it names as current. */
interface SessionLookup {
  token: string;
  kept: KeptStamp | undefined;
}

/** The store for deployments where several server processes share one database. */
export class PostgresStore implements Store {
  readonly dialect = "postgres";
  readonly #pool: pg.Pool;
  readonly #db: PgDb;
  readonly #statements: PgStatements;
  readonly #migrationsSchema: string | undefined;
  readonly #kept = new KeptIdentities();
  /** The identity of each session token looked up lately, so the next lookup can name the kept one. */
  readonly #identityOfToken = new Map<string, string>();
  /** The session lookups of one turn, answered by one statement (turn-batch.ts). */
  readonly #sessionLookups = new TurnBatch<SessionLookup, SessionWithIdentityRow | undefined>(
    async (lookups) => {
      const result = await this.#pool.query<SessionWithIdentityRow>({
        name: "tessera_sessions_with_identity",
        text: SESSIONS_WITH_IDENTITY_SQL,
        values: [
          lookups.map((l) => l.token),
          lookups.map((l) => l.kept?.id ?? null),
          lookups.map((l) => l.kept?.version ?? null),
          lookups.map((l) => l.kept?.createdAt ?? null),
          lookups.map((l) => l.kept?.updatedAt ?? null),
        ],
      });
      return byPosition(result.rows, lookups.length);
    },
  );
  /** Settings submissions' flows with their pending changes, likewise (flow-reads.ts). */
  readonly #flowReads = new TurnBatch<{ flowId: string; identityId: string }, FlowAndChangeRow | undefined>(
    async (reads) => {
      const result = await this.#pool.query<FlowAndChangeRow>({
        name: "tessera_flows_and_pending_changes",
        text: FLOWS_AND_PENDING_CHANGES_SQL,
        values: [reads.map((r) => r.flowId), reads.map((r) => r.identityId)],
      });
      return byPosition(result.rows, reads.length);
    },
  );
  /** The decided writes of one turn, in one statement (`#writeDecided`). */
  readonly #decidedWrites = new TurnBatch<DecidedWrite, PgIdentityRow | undefined>(async (writes) => {
    try {
      const result = await this.#pool.query<PgIdentityRow & { n: string }>({
        name: "tessera_writes_decided",
        text: WRITES_DECIDED,
        values: writesDecidedParams(writes),
      });
      return byPosition(result.rows, writes.length);
    } catch {
      // One write's error (another identity's duplicate external id, say) fails the statement for
      // all: each then takes the locked transaction, which writes it or reports its own error.
      return writes.map(() => undefined);
    }
  });
  /** whoami's head rows of one turn, likewise. */
  readonly #whoamiHeads = new TurnBatch<string, (WhoamiHeadRow & { n: string }) | undefined>(
    async (tokens) => {
      const result = await this.#pool.query<WhoamiHeadRow & { n: string }>({
        name: "tessera_whoami_heads",
        text: WHOAMI_HEADS_SQL,
        values: [tokens],
      });
      return byPosition(result.rows, tokens.length);
    },
  );

  constructor(options: PostgresStoreOptions) {
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      ...(options.searchPath === undefined
        ? {}
        : { options: `-c search_path=${escapeOption(options.searchPath)}` }),
    });
    // An idle connection that breaks (server restart) is dropped by the pool; without a listener
    // the 'error' event would crash the process. Queries on a broken connection still reject.
    this.#pool.on("error", () => {});
    this.#db = drizzle({ client: this.#pool, schema });
    this.#statements = prepareStatements(this.#db);
    this.#migrationsSchema = options.searchPath === undefined ? undefined : firstSchema(options.searchPath);
  }

  async migrate(): Promise<void> {
    // Several processes may start at once; the lock makes the others wait and then find nothing
    // to do. Migrating on the connection that holds the lock also works with a pool of one.
    const lockKey = `tessera_migrations:${this.#migrationsSchema ?? ""}`;
    const connection = await this.#pool.connect();
    try {
      await connection.query("select pg_advisory_lock(hashtext($1))", [lockKey]);
      try {
        await migrate(drizzle({ client: connection }), {
          migrationsFolder,
          ...(this.#migrationsSchema === undefined ? {} : { migrationsSchema: this.#migrationsSchema }),
        });
      } finally {
        await connection.query("select pg_advisory_unlock(hashtext($1))", [lockKey]);
      }
    } finally {
      connection.release();
    }
  }

  async migrationStatus(): Promise<MigrationState[]> {
    const table = `"${(this.#migrationsSchema ?? "drizzle").replace(/"/g, '""')}"."__drizzle_migrations"`;
    const found = await this.#pool.query<{ found: string | null }>("select to_regclass($1) as found", [
      table,
    ]);
    let last: number | undefined;
    if (found.rows[0]?.found) {
      const row = await this.#pool.query<{ last: string | null }>(
        `select max(created_at) as last from ${table}`,
      );
      last = row.rows[0]?.last == null ? undefined : Number(row.rows[0].last);
    }
    return migrationStates(migrationsFolder, last);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async ping(): Promise<boolean> {
    try {
      await this.#pool.query("select 1");
      return true;
    } catch {
      return false;
    }
  }

  // Identities.

  async createIdentity(
    identity: FullIdentity,
    events: readonly SecurityEventRecord[] = [],
  ): Promise<FullIdentity> {
    const normalised = normaliseIdentity({ ...identity, version: 0 });
    try {
      await this.#db.transaction(async (tx) => {
        await tx.insert(identities).values(identityRow(normalised));
        await insertChildren(tx, normalised);
        if (events.length > 0) await tx.insert(securityEvents).values([...events]);
      });
    } catch (error) {
      rethrowAsConflict(error);
    }
    return normalised;
  }

  async getIdentity(id: string): Promise<FullIdentity | undefined> {
    const tree = await this.#statements.identityById.execute({ id });
    return tree && identityFromTree(tree);
  }

  async updateIdentity(identity: FullIdentity): Promise<FullIdentity> {
    const result = await this.mutateIdentity(identity.id, () => ({ identity, value: undefined }));
    if (result.kind !== "done") throw new Error(`Identity ${identity.id} does not exist`);
    return result.identity;
  }

  /**
   * One transaction on one pooled connection that first locks the identity row
   * (`SELECT … FOR UPDATE`): concurrent mutations of one identity queue there, and each then reads
   * the state the previous one committed. Any throw, from `mutate` too, rolls back every row.
   * Straight on node-postgres with named statements (each connection parses and plans them once):
   * a profile update is BEGIN, the lock, the session check, one statement writing the identity row
   * and its history entries, COMMIT. The children are read only when the state the change was
   * decided on is no longer the current version.
   */
  async mutateIdentity<T>(
    id: string,
    mutate: (current: FullIdentity) => IdentityMutation<T>,
    guard?: MutationGuard,
  ): Promise<MutationResult<T>> {
    try {
      const written = await this.#writeDecided(id, mutate, guard);
      if (written) return written;
    } catch (error) {
      rethrowAsConflict(error);
    }
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("begin");
      try {
        const result = await mutateLocked(client, id, mutate, guard);
        await client.query("commit");
        return result as MutationResult<T>;
      } catch (error) {
        await client.query("rollback").catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      }
    } catch (error) {
      rethrowAsConflict(error);
    } finally {
      // A connection whose rollback failed is in an unknown state: the pool drops it.
      client.release(broken);
    }
  }

  /**
   * The common write in one round trip instead of six: a change decided on the identity as this
   * store returned it (`guard.decidedOn`) that writes only the identity row, its history entries and
   * the flow. One statement writes all three only if the stored version is still the decided one and
   * the guard holds (the version is checked again on the row it updates, after any concurrent
   * writer commits). Anything else (another writer came first, the guard failed, children or an
   * address change to write) answers undefined and takes the locked transaction, which re-reads,
   * decides again and says why.
   */
  async #writeDecided<T>(
    id: string,
    mutate: (current: FullIdentity) => IdentityMutation<T>,
    guard: MutationGuard | undefined,
  ): Promise<MutationResult<T> | undefined> {
    const current = guard?.decidedOn;
    if (!current || current.id !== id || current.version === undefined) return undefined;
    const decision = mutate(current);
    if (!decision.identity || decision.addressChange) return undefined;
    const next = normaliseIdentity({ ...decision.identity, id, version: current.version + 1 });
    if (hasChildWrites(planChildWrites(current, next))) return undefined;
    const written = await this.#decidedWrites.get({
      stored: current,
      next,
      events: decision.events ?? [],
      guard,
      flow: decision.flow?.(next),
    });
    if (!written) return undefined;
    this.#kept.keepRowWrite(current, identityFromRow(written));
    return { kind: "done", value: decision.value, identity: next };
  }

  async deleteIdentity(id: string): Promise<boolean> {
    const result = await this.#db.delete(identities).where(eq(identities.id, id));
    return (result.rowCount ?? 0) > 0;
  }

  async listIdentities(
    query: ListIdentitiesQuery,
  ): Promise<{ identities: FullIdentity[]; nextPageToken?: string }> {
    const conditions: SQL[] = [];
    if (query.pageToken !== undefined) conditions.push(gt(identities.id, query.pageToken));
    if (query.ids !== undefined) conditions.push(inArray(identities.id, query.ids));
    if (query.externalId !== undefined) conditions.push(eq(identities.externalId, query.externalId));
    if (query.credentialsIdentifier !== undefined) {
      const owners = this.#db
        .select({ id: identityCredentialIdentifiers.identityId })
        .from(identityCredentialIdentifiers)
        .where(eq(identityCredentialIdentifiers.identifier, query.credentialsIdentifier));
      conditions.push(inArray(identities.id, owners));
    }
    // One row more than asked tells whether another page exists.
    const rows = await this.#db.query.identities.findMany({
      where: and(...conditions),
      orderBy: asc(identities.id),
      limit: query.pageSize + 1,
      with: identityWith,
    });
    const page = keysetPage(rows.map(identityFromTree), query.pageSize);
    return { identities: page.items, ...withNextPageToken(page.nextPageToken) };
  }

  async findIdentityIdByAddress(
    kind: "verifiable" | "recovery",
    via: "email" | "sms",
    value: string,
  ): Promise<string | undefined> {
    const table =
      kind === "verifiable" ? schema.identityVerifiableAddresses : schema.identityRecoveryAddresses;
    const [row] = await this.#db
      .select({ identityId: table.identityId })
      .from(table)
      .where(and(eq(table.via, via), eq(table.value, value)))
      .limit(1);
    return row?.identityId;
  }

  async findIdentityByCredentialIdentifier(
    type: CredentialType,
    identifier: string,
  ): Promise<FullIdentity | undefined> {
    const tree = await this.#statements.identityByIdentifier.execute({ type, identifier });
    return tree && identityFromTree(tree);
  }

  // Sessions.

  async createSession(session: SessionRecord, events: readonly SecurityEventRecord[] = []): Promise<void> {
    try {
      if (events.length === 0) await this.#statements.insertSession.execute(sessionRow(session));
      else
        await this.#db.transaction(async (tx) => {
          await tx.insert(sessions).values(sessionRow(session));
          await tx.insert(securityEvents).values([...events]);
        });
    } catch (error) {
      rethrowAsConflict(error);
    }
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const [row] = await this.#statements.sessionById.execute({ id });
    return row && sessionFromRow(row);
  }

  async getSessionByToken(token: string): Promise<SessionRecord | undefined> {
    const [row] = await this.#statements.sessionByToken.execute({ token });
    return row && sessionFromRow(row);
  }

  /** The identity comes from `#kept` when the session's row says it has not changed since. */
  async getSessionWithIdentityByToken(
    token: string,
  ): Promise<{ session: SessionRecord; identity: FullIdentity } | undefined> {
    return this.#sessionWithIdentity(token, true);
  }

  async #sessionWithIdentity(
    token: string,
    nameKept: boolean,
  ): Promise<{ session: SessionRecord; identity: FullIdentity } | undefined> {
    const identityId = nameKept ? this.#identityOfToken.get(token) : undefined;
    const kept = identityId === undefined ? undefined : this.#kept.held(identityId);
    const row = await this.#sessionLookups.get({ token, kept });
    if (!row) return undefined;
    const head = whoamiHeadFromRow(row, true);
    this.#identityOfToken.delete(token);
    this.#identityOfToken.set(token, head.identityId);
    if (this.#identityOfToken.size > TOKENS_NAMED)
      this.#identityOfToken.delete(this.#identityOfToken.keys().next().value!);
    if (row.identity === null) {
      const current = this.#kept.get(head.identityId, head.identityStamp);
      // Dropped from what is kept since the statement was sent: read it whole.
      return current
        ? { session: head.session(), identity: current }
        : this.#sessionWithIdentity(token, false);
    }
    const identity = identityFromJson(row.identity);
    this.#kept.keepRead(identity);
    return { session: head.session(), identity };
  }

  async getSessionForWhoami(
    token: string,
  ): Promise<{ session: SessionRecord; identity: FullIdentity } | undefined> {
    // Named: each pooled connection parses and plans it once.
    const result = await this.#pool.query<WhoamiRow>({
      name: "tessera_whoami",
      text: WHOAMI_SQL,
      values: [token],
    });
    const row = result.rows[0];
    return row && whoamiFromRow(row, true);
  }

  async getWhoamiHead(token: string): Promise<WhoamiHead | undefined> {
    const row = await this.#whoamiHeads.get(token);
    return row && whoamiHeadFromRow(row, true);
  }

  async updateSession(session: SessionRecord): Promise<void> {
    await this.#statements.updateSession.execute(sessionRow(session));
  }

  async listSessions(identityId: string, options?: { active?: boolean }): Promise<SessionRecord[]> {
    const conditions = [eq(sessions.identityId, identityId)];
    if (options?.active !== undefined) conditions.push(eq(sessions.active, options.active));
    const rows = await this.#db
      .select()
      .from(sessions)
      .where(and(...conditions))
      .orderBy(desc(sessions.createdAt), asc(sessions.id));
    return rows.map(sessionFromRow);
  }

  async listAllSessions(query: { pageSize: number; pageToken?: string; active?: boolean }): Promise<{
    sessions: SessionRecord[];
    nextPageToken?: string;
  }> {
    const conditions: SQL[] = [];
    if (query.pageToken !== undefined) conditions.push(gt(sessions.id, query.pageToken));
    if (query.active !== undefined) conditions.push(eq(sessions.active, query.active));
    const rows = await this.#db
      .select()
      .from(sessions)
      .where(and(...conditions))
      .orderBy(asc(sessions.id))
      .limit(query.pageSize + 1);
    const page = keysetPage(rows.map(sessionFromRow), query.pageSize);
    return { sessions: page.items, ...withNextPageToken(page.nextPageToken) };
  }

  async revokeSession(id: string): Promise<boolean> {
    const result = await this.#db.update(sessions).set({ active: false }).where(eq(sessions.id, id));
    return (result.rowCount ?? 0) > 0;
  }

  async revokeSessionsOfIdentity(identityId: string, exceptId?: string): Promise<number> {
    const conditions = [eq(sessions.identityId, identityId), eq(sessions.active, true)];
    if (exceptId !== undefined) conditions.push(ne(sessions.id, exceptId));
    const result = await this.#db
      .update(sessions)
      .set({ active: false })
      .where(and(...conditions));
    return result.rowCount ?? 0;
  }

  async deleteSessionsOfIdentity(identityId: string): Promise<number> {
    const result = await this.#db.delete(sessions).where(eq(sessions.identityId, identityId));
    return result.rowCount ?? 0;
  }

  // Flows.

  async createFlow(flow: FlowRecord): Promise<void> {
    await this.#statements.insertFlow.execute(asParams(flow));
  }

  async getFlow(id: string): Promise<FlowRecord | undefined> {
    const [row] = await this.#statements.flowById.execute({ id });
    return row;
  }

  async updateFlow(flow: FlowRecord): Promise<void> {
    await this.#statements.updateFlow.execute(asParams(flow));
  }

  async transitionFlow(id: string, from: string, to: string, at: Date): Promise<boolean> {
    const result = await this.#db
      .update(selfserviceFlows)
      .set({ state: to, updatedAt: at })
      .where(and(eq(selfserviceFlows.id, id), eq(selfserviceFlows.state, from)));
    return (result.rowCount ?? 0) > 0;
  }

  async countFlowAttempt(flowId: string, generation: string): Promise<number> {
    const [row] = await this.#db
      .insert(selfserviceFlowAttempts)
      .values({ flowId, generation, count: 1 })
      .onConflictDoUpdate({
        target: [selfserviceFlowAttempts.flowId, selfserviceFlowAttempts.generation],
        set: { count: sql`${selfserviceFlowAttempts.count} + 1` },
      })
      .returning({ count: selfserviceFlowAttempts.count });
    return row!.count;
  }

  // Continuity containers.

  async saveContinuity(record: ContinuityRecord): Promise<void> {
    const { id: _id, ...changes } = record;
    await this.#db
      .insert(continuityContainers)
      .values(record)
      .onConflictDoUpdate({ target: continuityContainers.id, set: changes });
  }

  async getContinuity(id: string): Promise<ContinuityRecord | undefined> {
    const [row] = await this.#db.select().from(continuityContainers).where(eq(continuityContainers.id, id));
    return row;
  }

  async deleteContinuity(id: string): Promise<void> {
    await this.#db.delete(continuityContainers).where(eq(continuityContainers.id, id));
  }

  async deleteContinuityByNames(identityId: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    // Every new settings flow runs it: named, so each connection plans it once.
    await this.#pool.query({
      name: "tessera_delete_continuity_by_names",
      text: "delete from continuity_containers where identity_id = $1 and name = any($2::text[])",
      values: [identityId, names],
    });
  }

  // Browser error container.

  async saveError(record: StoredErrorRecord): Promise<void> {
    const { id: _id, ...changes } = record;
    await this.#db
      .insert(selfserviceErrors)
      .values(record)
      .onConflictDoUpdate({ target: selfserviceErrors.id, set: changes });
  }

  async getError(id: string): Promise<StoredErrorRecord | undefined> {
    const [row] = await this.#db.select().from(selfserviceErrors).where(eq(selfserviceErrors.id, id));
    return row;
  }

  async markErrorSeen(id: string, at: Date): Promise<void> {
    await this.#db
      .update(selfserviceErrors)
      .set({ seenAt: at, updatedAt: at })
      .where(eq(selfserviceErrors.id, id));
  }

  // Security history.

  async recordSecurityEvents(events: readonly SecurityEventRecord[]): Promise<void> {
    if (events.length > 0) await this.#db.insert(securityEvents).values([...events]);
  }

  async listSecurityEvents(
    identityId: string,
    query: { limit: number; before?: Date },
  ): Promise<SecurityEventRecord[]> {
    const conditions = [eq(securityEvents.identityId, identityId)];
    if (query.before) conditions.push(lt(securityEvents.createdAt, query.before));
    return this.#db
      .select()
      .from(securityEvents)
      .where(and(...conditions))
      .orderBy(desc(securityEvents.createdAt), desc(securityEvents.id))
      .limit(query.limit);
  }

  async deleteSecurityEventsBefore(cutoff: Date): Promise<number> {
    const result = await this.#db.delete(securityEvents).where(lt(securityEvents.createdAt, cutoff));
    return result.rowCount ?? 0;
  }

  async scheduleDeletion(
    deletion: AccountDeletionRecord,
    events: readonly SecurityEventRecord[],
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx
        .insert(accountDeletions)
        .values(deletion)
        .onConflictDoUpdate({
          target: accountDeletions.identityId,
          set: { requestedAt: deletion.requestedAt, dueAt: deletion.dueAt },
        });
      if (events.length > 0) await tx.insert(securityEvents).values([...events]);
    });
  }

  async getDeletion(identityId: string): Promise<AccountDeletionRecord | undefined> {
    const [row] = await this.#db
      .select()
      .from(accountDeletions)
      .where(eq(accountDeletions.identityId, identityId));
    return row;
  }

  async cancelDeletion(identityId: string, events: readonly SecurityEventRecord[]): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const result = await tx.delete(accountDeletions).where(eq(accountDeletions.identityId, identityId));
      const removed = (result.rowCount ?? 0) > 0;
      if (removed && events.length > 0) await tx.insert(securityEvents).values([...events]);
      return removed;
    });
  }

  async dueDeletions(now: Date, limit: number): Promise<string[]> {
    const rows = await this.#db
      .select({ id: accountDeletions.identityId })
      .from(accountDeletions)
      .where(lte(accountDeletions.dueAt, now))
      .orderBy(asc(accountDeletions.dueAt))
      .limit(limit);
    return rows.map((r) => r.id);
  }

  // Courier queue.

  async enqueueMessage(message: CourierMessageRecord): Promise<void> {
    await this.#db.insert(courierMessages).values(message);
  }

  async listMessages(query: {
    status?: CourierMessageRecord["status"];
    limit: number;
  }): Promise<CourierMessageRecord[]> {
    return this.#db
      .select()
      .from(courierMessages)
      .where(query.status === undefined ? undefined : eq(courierMessages.status, query.status))
      .orderBy(asc(courierMessages.createdAt), asc(courierMessages.id))
      .limit(query.limit);
  }

  async updateMessage(message: CourierMessageRecord): Promise<void> {
    const { id, ...changes } = message;
    await this.#db.update(courierMessages).set(changes).where(eq(courierMessages.id, id));
  }
  // Address changes.

  async createAddressChange(
    change: AddressChangeRecord,
    events: readonly SecurityEventRecord[],
  ): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx
        .update(addressChanges)
        .set({ status: "cancelled", updatedAt: change.createdAt })
        .where(and(eq(addressChanges.identityId, change.identityId), eq(addressChanges.status, "pending")));
      await tx.insert(addressChanges).values(change);
      if (events.length > 0) await tx.insert(securityEvents).values([...events]);
    });
  }

  async getAddressChange(id: string): Promise<AddressChangeRecord | undefined> {
    const [row] = await this.#db.select().from(addressChanges).where(eq(addressChanges.id, id));
    return row;
  }

  async getFlowAndPendingChange(
    flowId: string,
    identityId: string,
  ): Promise<{ flow: FlowRecord | undefined; pendingChange: AddressChangeRecord | undefined }> {
    const row = await this.#flowReads.get({ flowId, identityId });
    return row ? flowAndChangeOf(row) : { flow: undefined, pendingChange: undefined };
  }

  async pendingAddressChange(identityId: string): Promise<AddressChangeRecord | undefined> {
    const [row] = await this.#statements.pendingAddressChange.execute({ identityId });
    return row;
  }

  async findAddressChangeByRevertHmac(hmac: string): Promise<AddressChangeRecord | undefined> {
    const [row] = await this.#db.select().from(addressChanges).where(eq(addressChanges.revertHmac, hmac));
    return row;
  }

  async transitionAddressChange(
    id: string,
    from: AddressChangeStatus,
    to: AddressChangeStatus,
    at: Date,
    events: readonly SecurityEventRecord[],
  ): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const moved = await moveAddressChange(tx, { id, from, to }, at);
      if (moved && events.length > 0) await tx.insert(securityEvents).values([...events]);
      return moved;
    });
  }

  async getMessage(id: string): Promise<CourierMessageRecord | undefined> {
    const [row] = await this.#db.select().from(courierMessages).where(eq(courierMessages.id, id));
    return row;
  }

  async pageMessages(query: ListCourierMessagesQuery): Promise<CourierMessageRecord[]> {
    const { after } = query;
    return await this.#db
      .select()
      .from(courierMessages)
      .where(
        and(
          query.status === undefined ? undefined : eq(courierMessages.status, query.status),
          query.recipient === undefined ? undefined : eq(courierMessages.recipient, query.recipient),
          after === undefined
            ? undefined
            : or(
                lt(courierMessages.createdAt, after.createdAt),
                and(eq(courierMessages.createdAt, after.createdAt), gt(courierMessages.id, after.id)),
              ),
        ),
      )
      .orderBy(desc(courierMessages.createdAt), asc(courierMessages.id))
      .limit(query.pageSize + 1);
  }

  async claimMessages(query: ClaimCourierMessagesQuery): Promise<CourierMessageRecord[]> {
    const due = or(
      and(
        eq(courierMessages.status, "queued"),
        or(isNull(courierMessages.sendAfter), lte(courierMessages.sendAfter, query.now)),
      ),
      and(eq(courierMessages.status, "processing"), lt(courierMessages.updatedAt, query.stuckBefore)),
    );
    // SKIP LOCKED: a dispatcher never waits for, nor takes, rows another one is claiming.
    const claimed = await this.#db
      .update(courierMessages)
      .set({ status: "processing", updatedAt: query.now, sendCount: sql`${courierMessages.sendCount} + 1` })
      .where(
        inArray(
          courierMessages.id,
          this.#db
            .select({ id: courierMessages.id })
            .from(courierMessages)
            .where(due)
            .orderBy(asc(courierMessages.createdAt), asc(courierMessages.id))
            .limit(query.limit)
            .for("update", { skipLocked: true }),
        ),
      )
      .returning();
    return claimed.sort(byCreation);
  }

  async settleMessage(
    id: string,
    claimedAt: Date,
    changes: Pick<CourierMessageRecord, "status" | "updatedAt"> & {
      sendAfter?: Date | null;
      sendCount?: number;
    },
  ): Promise<boolean> {
    const rows = await this.#db
      .update(courierMessages)
      .set(changes)
      .where(
        and(
          eq(courierMessages.id, id),
          eq(courierMessages.status, "processing"),
          eq(courierMessages.updatedAt, claimedAt),
        ),
      )
      .returning({ id: courierMessages.id });
    return rows.length > 0;
  }

  async recordDispatch(dispatch: CourierDispatchRecord): Promise<void> {
    await this.#db.insert(courierMessageDispatches).values(dispatch);
  }

  async listDispatches(messageId: string): Promise<CourierDispatchRecord[]> {
    return await this.#db
      .select()
      .from(courierMessageDispatches)
      .where(eq(courierMessageDispatches.messageId, messageId))
      .orderBy(desc(courierMessageDispatches.createdAt), desc(courierMessageDispatches.id));
  }

  // Cleanup.

  async deleteExpired(kind: ExpiringRecords, before: Date, limit: number): Promise<number> {
    const table = EXPIRING[kind];
    const batch = this.#db
      .select({ id: table.id })
      .from(table)
      .where(lte(table.expiresAt, before))
      .orderBy(asc(table.expiresAt))
      .limit(limit);
    const result = await this.#db.delete(table).where(inArray(table.id, batch));
    return result.rowCount ?? 0;
  }
}

type PgTransaction = Parameters<Parameters<PgDb["transaction"]>[0]>[0];
/** What child writes need of drizzle: a transaction, or a database on the connection holding one. */
type PgWriter = Pick<PgTransaction, "insert" | "update" | "delete">;

const IDENTITY_COLUMNS = `id, schema_id, state, state_changed_at, traits, metadata_public, metadata_admin,
  external_id, created_at, updated_at, version`;

interface PgIdentityRow {
  id: string;
  schema_id: string;
  state: IdentityRecord["state"];
  state_changed_at: Date | null;
  traits: Record<string, unknown>;
  metadata_public: unknown;
  metadata_admin: unknown;
  external_id: string | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

// node-postgres decodes timestamptz to Date, jsonb to values and integers to numbers itself.
const LOCK_IDENTITY = `select ${IDENTITY_COLUMNS} from identities where id = $1 for update`;
const SESSION_GUARD = "select active, identity_id, expires_at from sessions where id = $1";
/** The identity row and the history entries of the change, in one round trip. */
const WRITE_IDENTITY = `with changed as (
  update identities set schema_id = $2, state = $3, state_changed_at = $4, traits = $5,
    metadata_public = $6, metadata_admin = $7, external_id = $8, created_at = $9, updated_at = $10,
    version = $11
  where id = $1)
insert into security_events (id, identity_id, type, method, outcome, network, client, created_at)
select * from unnest($12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
  $18::text[], $19::timestamptz[])`;
/**
 * `#writeDecided`'s statement, for all the decided writes of one turn (turn-batch.ts): for each
 * write (its position `n`), WRITE_IDENTITY and WRITE_FLOW, only if it is `allowed`: the stored
 * version is the decided one, the identity is active when that is required, and the session is
 * active, the identity's and unexpired at `now`. The update checks the version again on the row it
 * writes (after a concurrent writer commits, on its row), so a change decided on an older state
 * writes nothing; of two writes of one identity decided on the same version, one is written. Answers
 * each written row as stored, with its `n`.
 *
 * $1–$15 one element per write: the identity row ($1–$11, as WRITE_IDENTITY's $1–$11), then the
 * decided version, whether the identity must be active, the session id and the time. $16–$24 the
 * history entries of all writes, each with its write's position. $25–$40 the flows, each with its
 * write's position and then WRITE_FLOW's 15 columns.
 */
const WRITES_DECIDED = `with q as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::integer[], $12::integer[],
    $13::boolean[], $14::text[], $15::timestamptz[])
  with ordinality as q(id, schema_id, state, state_changed_at, traits, metadata_public, metadata_admin,
    external_id, created_at, updated_at, version, expected, require_active, session_id, now, n)
), allowed as (
  select q.* from q join identities i on i.id = q.id and i.version = q.expected
  where (q.require_active is false or i.state = 'active')
    and (q.session_id is null or exists (select 1 from sessions s where s.id = q.session_id and s.active
      and s.identity_id = q.id and (q.now is null or s.expires_at > q.now)))
), changed as (
  update identities i set schema_id = a.schema_id, state = a.state, state_changed_at = a.state_changed_at,
    traits = a.traits::jsonb, metadata_public = a.metadata_public::jsonb,
    metadata_admin = a.metadata_admin::jsonb, external_id = a.external_id, created_at = a.created_at,
    updated_at = a.updated_at, version = a.version
  from allowed a where i.id = a.id and i.version = a.expected
  returning a.n, ${IDENTITY_COLUMNS.replace(/(\w+)/g, "i.$1")}
), events as (
  insert into security_events (id, identity_id, type, method, outcome, network, client, created_at)
  select e.id, e.identity_id, e.type, e.method, e.outcome, e.network, e.client, e.created_at
  from unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[],
    $23::timestamptz[], $24::integer[])
    as e(id, identity_id, type, method, outcome, network, client, created_at, item)
  where e.item in (select n from changed)
), flow as (
  update selfservice_flows f set kind = w.kind, type = w.type, identity_id = w.identity_id,
    state = case when f.state = '${USED_FLOW_STATE}' then f.state else w.state end,
    request_url = w.request_url, return_to = w.return_to, active = w.active, ui = w.ui::jsonb,
    data = w.data::jsonb, internal_context = w.internal_context::jsonb, issued_at = w.issued_at,
    expires_at = w.expires_at, created_at = w.created_at, updated_at = w.updated_at
  from unnest($25::integer[], $26::text[], $27::text[], $28::text[], $29::text[], $30::text[], $31::text[],
    $32::text[], $33::text[], $34::text[], $35::text[], $36::text[], $37::timestamptz[],
    $38::timestamptz[], $39::timestamptz[], $40::timestamptz[])
    as w(item, id, kind, type, identity_id, state, request_url, return_to, active, ui, data,
      internal_context, issued_at, expires_at, created_at, updated_at)
  where f.id = w.id and w.item in (select n from changed)
)
select * from changed`;

/** One change for `#writeDecided`: the identity row alone, decided on `stored`. */
interface DecidedWrite {
  stored: IdentityRecord;
  next: IdentityRecord;
  events: readonly SecurityEventRecord[];
  guard: MutationGuard;
  flow: FlowRecord | undefined;
}

/** WRITES_DECIDED's parameters: one column of values per parameter. */
function writesDecidedParams(writes: readonly DecidedWrite[]): unknown[] {
  const rows = writes.map((w) => [
    ...writeIdentityParams(w.stored, w.next, []).slice(0, 11),
    w.stored.version,
    w.guard.requireActive === true,
    w.guard.sessionId ?? null,
    w.guard.now ?? null,
  ]);
  const events = writes.flatMap((w, i) =>
    w.events.map((e) => [
      e.id,
      e.identityId,
      e.type,
      e.method,
      e.outcome,
      e.network,
      e.client,
      e.createdAt,
      i + 1,
    ]),
  );
  const flows = writes.flatMap((w, i) => (w.flow ? [[i + 1, ...writeFlowParams(w.flow)]] : []));
  const columns = (table: unknown[][], count: number) =>
    Array.from({ length: count }, (_, c) => table.map((row) => row[c]));
  return [...columns(rows, 15), ...columns(events, 9), ...columns(flows, 16)];
}

/** `updateFlow` inside a mutation's transaction; a used flow keeps its state (flow-state.ts). */
const WRITE_FLOW = `update selfservice_flows set kind = $2, type = $3, identity_id = $4,
  state = case when state = '${USED_FLOW_STATE}' then state else $5 end, request_url = $6,
  return_to = $7, active = $8, ui = $9, data = $10, internal_context = $11, issued_at = $12,
  expires_at = $13, created_at = $14, updated_at = $15
where id = $1`;

function writeFlowParams(flow: FlowRecord): unknown[] {
  return [
    flow.id,
    flow.kind,
    flow.type,
    flow.identityId,
    flow.state,
    flow.requestUrl,
    flow.returnTo,
    flow.active,
    JSON.stringify(flow.ui),
    JSON.stringify(flow.data),
    JSON.stringify(flow.internalContext),
    flow.issuedAt,
    flow.expiresAt,
    flow.createdAt,
    flow.updatedAt,
  ];
}

// In read order: by creation, then id in byte order whatever the collation (as identityWith).
const CHILDREN = {
  credentials: `select id, identity_id, type, config, version, created_at, updated_at
    from identity_credentials where identity_id = $1 order by created_at, id collate "C"`,
  identifiers: `select credential_id, identifier from identity_credential_identifiers
    where identity_id = $1 order by credential_id, position`,
  verifiable: `select id, identity_id, via, value, verified, status, verified_at, created_at, updated_at
    from identity_verifiable_addresses where identity_id = $1 order by created_at, id collate "C"`,
  recovery: `select id, identity_id, via, value, created_at, updated_at
    from identity_recovery_addresses where identity_id = $1 order by created_at, id collate "C"`,
};

function identityFromRow(row: PgIdentityRow): IdentityRecord {
  return {
    id: row.id,
    schemaId: row.schema_id,
    state: row.state,
    stateChangedAt: row.state_changed_at,
    traits: row.traits,
    metadataPublic: row.metadata_public,
    metadataAdmin: row.metadata_admin,
    externalId: row.external_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** `mutateIdentity`'s work inside its transaction. */
async function mutateLocked(
  client: pg.PoolClient,
  id: string,
  mutate: (current: FullIdentity) => IdentityMutation<unknown>,
  guard: MutationGuard | undefined,
): Promise<MutationResult<unknown>> {
  const locked = await client.query<PgIdentityRow>({
    name: "tessera_lock_identity",
    text: LOCK_IDENTITY,
    values: [id],
  });
  const row = locked.rows[0];
  if (!row) return { kind: "not_found" };
  if (guard?.sessionId !== undefined) {
    const found = await client.query<{ active: boolean; identity_id: string; expires_at: Date }>({
      name: "tessera_session_guard",
      text: SESSION_GUARD,
      values: [guard.sessionId],
    });
    const session = found.rows[0];
    if (
      !session ||
      !sessionAllows(
        { active: session.active, identityId: session.identity_id, expiresAt: session.expires_at },
        id,
        guard.now,
      )
    )
      return { kind: "session_inactive" };
  }
  if (guard?.requireActive && row.state !== "active") return { kind: "identity_inactive" };
  const identity = identityFromRow(row);
  const current = currentState(identity, guard?.decidedOn) ?? {
    ...identity,
    ...(await readChildren(client, id)),
  };
  const decision = mutate(current);
  if (!decision.identity) return { kind: "done", value: decision.value, identity: current };
  const next = normaliseIdentity({ ...decision.identity, id, version: (current.version ?? 0) + 1 });
  await client.query({
    name: "tessera_write_identity",
    text: WRITE_IDENTITY,
    values: writeIdentityParams(current, next, decision.events ?? []),
  });
  const writes = planChildWrites(current, next);
  if (hasChildWrites(writes)) await writeChildChanges(drizzleOn(client), writes);
  if (
    decision.addressChange &&
    !(await moveAddressChange(drizzleOn(client), decision.addressChange, next.updatedAt))
  )
    throw new AddressChangeMovedError(decision.addressChange.id);
  if (decision.flow) {
    const flow = decision.flow(next);
    await client.query({ name: "tessera_write_flow", text: WRITE_FLOW, values: writeFlowParams(flow) });
  }
  return { kind: "done", value: decision.value, identity: next };
}

/**
 * The parameters of WRITE_IDENTITY. A field left undefined keeps its stored value, as drizzle's
 * `set()` leaves such columns out; JSON columns are encoded here (a jsonb string must stay one).
 */
function writeIdentityParams(
  stored: IdentityRecord,
  next: IdentityRecord,
  events: readonly SecurityEventRecord[],
): unknown[] {
  const value = <K extends keyof IdentityRecord>(key: K) =>
    next[key] === undefined ? stored[key] : next[key];
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  return [
    next.id,
    value("schemaId"),
    value("state"),
    value("stateChangedAt"),
    json(value("traits")),
    json(value("metadataPublic")),
    json(value("metadataAdmin")),
    value("externalId"),
    value("createdAt"),
    value("updatedAt"),
    next.version,
    events.map((e) => e.id),
    events.map((e) => e.identityId),
    events.map((e) => e.type),
    events.map((e) => e.method),
    events.map((e) => e.outcome),
    events.map((e) => e.network),
    events.map((e) => e.client),
    events.map((e) => e.createdAt),
  ];
}

async function readChildren(client: pg.PoolClient, identityId: string): Promise<IdentityChildren> {
  const query = async <R extends pg.QueryResultRow>(name: keyof typeof CHILDREN) =>
    (await client.query<R>({ name: `tessera_children_${name}`, text: CHILDREN[name], values: [identityId] }))
      .rows;
  interface AddressRow {
    id: string;
    identity_id: string;
    via: RecoveryAddressRecord["via"];
    value: string;
    created_at: Date;
    updated_at: Date;
  }
  const credentials = await query<{
    id: string;
    identity_id: string;
    type: CredentialType;
    config: Record<string, unknown>;
    version: number;
    created_at: Date;
    updated_at: Date;
  }>("credentials");
  const identifiers = await query<{ credential_id: string; identifier: string }>("identifiers");
  const verifiable = await query<
    AddressRow & { verified: boolean; status: VerifiableAddressRecord["status"]; verified_at: Date | null }
  >("verifiable");
  const recovery = await query<AddressRow>("recovery");
  return childrenFromRows({
    credentials: credentials.map((r) => ({
      id: r.id,
      identityId: r.identity_id,
      type: r.type,
      config: r.config,
      version: r.version,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    })),
    identifiers: identifiers.map((r) => ({ credentialId: r.credential_id, identifier: r.identifier })),
    verifiableAddresses: verifiable.map((r) => ({
      id: r.id,
      identityId: r.identity_id,
      via: r.via,
      value: r.value,
      verified: r.verified,
      status: r.status,
      verifiedAt: r.verified_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    })),
    recoveryAddresses: recovery.map((r) => ({
      id: r.id,
      identityId: r.identity_id,
      via: r.via,
      value: r.value,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    })),
  });
}

/** A drizzle database on one pooled connection (inside its transaction), made once per connection. */
const drizzleOfConnection = new WeakMap<pg.PoolClient, PgDb>();
function drizzleOn(client: pg.PoolClient): PgDb {
  let db = drizzleOfConnection.get(client);
  if (!db) {
    db = drizzle({ client, schema });
    drizzleOfConnection.set(client, db);
  }
  return db;
}

/** Of an identity's children, writes only those that differ from the stored ones. */
async function writeChildChanges(tx: PgWriter, writes: IdentityChildWrites): Promise<void> {
  // Deleting a credential cascades to its identifiers.
  await deleteByIds(tx, identityCredentials, writes.credentials);
  await deleteByIds(tx, identityVerifiableAddresses, writes.verifiableAddresses);
  await deleteByIds(tx, identityRecoveryAddresses, writes.recoveryAddresses);
  for (const credential of writes.credentials.update) {
    const { id, ...row } = credentialRow(credential);
    await tx.update(identityCredentials).set(row).where(eq(identityCredentials.id, id));
  }
  for (const { id, ...row } of writes.verifiableAddresses.update) {
    await tx.update(identityVerifiableAddresses).set(row).where(eq(identityVerifiableAddresses.id, id));
  }
  for (const { id, ...row } of writes.recoveryAddresses.update) {
    await tx.update(identityRecoveryAddresses).set(row).where(eq(identityRecoveryAddresses.id, id));
  }
  await insertChildren(tx, {
    credentials: writes.credentials.insert,
    verifiableAddresses: writes.verifiableAddresses.insert,
    recoveryAddresses: writes.recoveryAddresses.insert,
  });
}

/** Multi-row inserts: one statement per table. */
async function insertChildren(tx: PgWriter, children: IdentityChildren): Promise<void> {
  const credentials = children.credentials.map(credentialRow);
  const identifiers = children.credentials.flatMap(identifierRows);
  if (credentials.length > 0) await tx.insert(identityCredentials).values(credentials);
  if (identifiers.length > 0) await tx.insert(identityCredentialIdentifiers).values(identifiers);
  if (children.verifiableAddresses.length > 0) {
    await tx.insert(identityVerifiableAddresses).values(children.verifiableAddresses);
  }
  if (children.recoveryAddresses.length > 0) {
    await tx.insert(identityRecoveryAddresses).values(children.recoveryAddresses);
  }
}

async function deleteByIds(
  tx: PgWriter,
  table: typeof identityCredentials | typeof identityVerifiableAddresses | typeof identityRecoveryAddresses,
  writes: ChildWrites<unknown>,
): Promise<void> {
  if (writes.delete.length > 0) await tx.delete(table).where(inArray(table.id, writes.delete));
}

/**
 * The schema that unqualified CREATEs land in: the first entry of the search_path. Undefined for
 * "$user" and the like, which keeps drizzle's default migrations schema.
 */
function firstSchema(searchPath: string): string | undefined {
  const first = searchPath
    .split(",")[0]!
    .trim()
    .replace(/^"(.*)"$/, "$1");
  return first === "" || first.startsWith("$") ? undefined : first;
}

/** Spaces separate arguments in the libpq `options` parameter unless escaped. */
function escapeOption(value: string): string {
  return value.replace(/[\\ ]/g, (c) => `\\${c}`);
}

/** Claimed messages in the order they were queued (RETURNING has no order of its own). */
function byCreation(a: CourierMessageRecord, b: CourierMessageRecord): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Compare-and-set of an address change's status inside `tx` (a row lock until the commit). */
async function moveAddressChange(
  tx: PgDb | PgTransaction,
  move: { id: string; from: AddressChangeStatus; to: AddressChangeStatus },
  at: Date,
): Promise<boolean> {
  const result = await tx
    .update(addressChanges)
    .set({ status: move.to, updatedAt: at })
    .where(and(eq(addressChanges.id, move.id), eq(addressChanges.status, move.from)));
  return (result.rowCount ?? 0) > 0;
}
