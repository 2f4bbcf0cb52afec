import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, ne, or, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { rethrowAsConflict } from "../conflict.ts";
import { sessionAllows } from "../guard.ts";
import { KeptIdentities } from "../kept-identities.ts";
import {
  childrenFromRows,
  credentialRow,
  currentState,
  hasChildWrites,
  type IdentityChildren,
  identifierRows,
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
  type SecurityEventRecord,
  type SessionRecord,
  type Store,
  type StoredErrorRecord,
} from "../store.ts";
import {
  type WhoamiHead,
  type WhoamiHeadRow,
  type WhoamiRow,
  whoamiFromRow,
  whoamiHeadFromRow,
  whoamiHeadSql,
  whoamiSql,
} from "../whoami.ts";
import { GroupCommit } from "./group-commit.ts";
import { prepareReads, type SqliteReads } from "./reads.ts";
import * as schema from "./schema.ts";
import { prepareStatements, type SqliteDb, type SqliteStatements } from "./statements.ts";
import { TurnReads } from "./turn-reads.ts";

const migrationsFolder = fileURLToPath(new URL("../migrations/sqlite", import.meta.url));

const {
  identities,
  identityCredentialIdentifiers,
  sessions,
  continuityContainers,
  selfserviceErrors,
  accountDeletions,
  addressChanges,
  courierMessages,
  securityEvents,
  courierMessageDispatches,
  selfserviceFlowAttempts,
  selfserviceFlows,
} = schema;

const EXPIRING = { flows: selfserviceFlows, sessions, continuity: continuityContainers } as const;

/**
 * The embedded store. better-sqlite3 is synchronous, which makes an identity write one native
 * transaction of prepared statements with no interleaving; the methods are async only to fit `Store`.
 */
export class SqliteStore implements Store {
  readonly dialect = "sqlite";
  readonly #client: Database.Database;
  readonly #db: SqliteDb;
  #prepared: SqliteStatements | undefined;
  #preparedReads: SqliteReads | undefined;
  #whoami: Database.Statement<[{ token: string }], WhoamiRow> | undefined;
  #whoamiHead: Database.Statement<[{ token: string }], WhoamiHeadRow> | undefined;
  #deleteContinuity: Database.Statement<[string, string]> | undefined;
  #hasContinuity: Database.Statement<[string, string]> | undefined;
  readonly #insertIdentity: (identity: FullIdentity, events: readonly SecurityEventRecord[]) => void;
  readonly #insertSessionWithEvents: (session: SessionRecord, events: readonly SecurityEventRecord[]) => void;
  /** Identity writes commit together with the others asked for in the same turn (group-commit.ts). */
  readonly #writes: GroupCommit;
  /**
   * Runs a multi-statement read in one transaction, so that it sees one snapshot even when
   * another process writes to the same file between statements (and takes the lock only once).
   */
  readonly #read: <T>(read: () => T) => T;
  readonly #kept = new KeptIdentities();
  /** The hot reads, run together with the others asked for in the same turn (turn-reads.ts). */
  readonly #turnReads: TurnReads;

  /** `filename` is a path or ":memory:"; a file's folder is created when missing. */
  constructor(filename: string) {
    const inMemory = filename === ":memory:" || filename === "";
    if (!inMemory) mkdirSync(dirname(filename), { recursive: true });
    this.#client = new Database(filename);
    if (!inMemory) {
      // WAL lets readers (whoami) run while a write is in progress; NORMAL sync is safe with WAL
      // (a power cut may lose the last commits, never corrupt) and much faster than FULL.
      this.#client.pragma("journal_mode = WAL");
      this.#client.pragma("synchronous = NORMAL");
    }
    this.#client.pragma("foreign_keys = ON");
    // Other processes may share the file; wait for their locks instead of failing with SQLITE_BUSY.
    this.#client.pragma("busy_timeout = 5000");
    this.#db = drizzle({ client: this.#client, schema });
    this.#insertIdentity = this.#client.transaction(
      (identity: FullIdentity, events: readonly SecurityEventRecord[]) => {
        this.#insertIdentityRows(identity);
        this.#insertEvents(events);
      },
    ).immediate;
    this.#insertSessionWithEvents = this.#client.transaction(
      (session: SessionRecord, events: readonly SecurityEventRecord[]) => {
        this.#statements.insertSession.run(sessionRow(session));
        this.#insertEvents(events);
      },
    ).immediate;
    // Its IMMEDIATE transaction takes the write lock before the first read, so the state a mutation
    // decides on is still the current one when it writes, across connections and processes.
    this.#writes = new GroupCommit(this.#client);
    this.#turnReads = new TurnReads(this.#client);
    const readTransaction = this.#client.transaction((read: () => unknown) => read()).deferred;
    this.#read = readTransaction as <T>(read: () => T) => T;
  }

  /** Prepared on first use, because preparing needs the tables that `migrate()` creates. */
  get #statements(): SqliteStatements {
    this.#prepared ??= prepareStatements(this.#db);
    return this.#prepared;
  }

  /** The hot identity reads, straight on better-sqlite3 (reads.ts); prepared like `#statements`. */
  get #reads(): SqliteReads {
    this.#preparedReads ??= prepareReads(this.#client);
    return this.#preparedReads;
  }

  async migrate(): Promise<void> {
    migrate(this.#db, { migrationsFolder });
  }

  async migrationStatus(): Promise<MigrationState[]> {
    let last: number | undefined;
    const exists = this.#client
      .prepare("select 1 from sqlite_master where type = 'table' and name = '__drizzle_migrations'")
      .get();
    if (exists) {
      const row = this.#client.prepare("select max(created_at) as last from __drizzle_migrations").get() as {
        last: number | null;
      };
      last = row.last ?? undefined;
    }
    return migrationStates(migrationsFolder, last);
  }

  async close(): Promise<void> {
    this.#client.close();
  }

  async ping(): Promise<boolean> {
    try {
      this.#client.prepare("select 1").get();
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
      this.#insertIdentity(normalised, events);
    } catch (error) {
      rethrowAsConflict(error);
    }
    return normalised;
  }

  async getIdentity(id: string): Promise<FullIdentity | undefined> {
    return this.#read(() => {
      const row = this.#reads.identityById(id);
      return row && this.#withChildren(row);
    });
  }

  async updateIdentity(identity: FullIdentity): Promise<FullIdentity> {
    const result = await this.mutateIdentity(identity.id, () => ({ identity, value: undefined }));
    if (result.kind !== "done") throw new Error(`Identity ${identity.id} does not exist`);
    return result.identity;
  }

  async mutateIdentity<T>(
    id: string,
    mutate: (current: FullIdentity) => IdentityMutation<T>,
    guard?: MutationGuard,
  ): Promise<MutationResult<T>> {
    try {
      const { result } = await this.#writes.run(
        () => this.#mutateIdentityRows(id, mutate, guard) as MutationWrite<T>,
        ({ rowWrite }) => {
          if (rowWrite) this.#kept.keepRowWrite(rowWrite.before, rowWrite.row);
        },
      );
      return result;
    } catch (error) {
      rethrowAsConflict(error);
    }
  }

  async deleteIdentity(id: string): Promise<boolean> {
    return this.#db.delete(identities).where(eq(identities.id, id)).run().changes > 0;
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
    const page = this.#read(() => {
      const rows = this.#db
        .select()
        .from(identities)
        .where(and(...conditions))
        .orderBy(asc(identities.id))
        .limit(query.pageSize + 1)
        .all();
      const { items, nextPageToken } = keysetPage(rows, query.pageSize);
      return { items: items.map((row) => this.#withChildren(row)), nextPageToken };
    });
    return { identities: page.items, ...withNextPageToken(page.nextPageToken) };
  }

  async findIdentityIdByAddress(
    kind: "verifiable" | "recovery",
    via: "email" | "sms",
    value: string,
  ): Promise<string | undefined> {
    const table =
      kind === "verifiable" ? schema.identityVerifiableAddresses : schema.identityRecoveryAddresses;
    return this.#read(() => {
      const row = this.#db
        .select({ identityId: table.identityId })
        .from(table)
        .where(and(eq(table.via, via), eq(table.value, value)))
        .get();
      return row?.identityId;
    });
  }

  async findIdentityByCredentialIdentifier(
    type: CredentialType,
    identifier: string,
  ): Promise<FullIdentity | undefined> {
    return this.#read(() => {
      const row = this.#statements.identityByIdentifier.get({ type, identifier });
      return row && this.#withChildren(row);
    });
  }

  #withChildren(row: IdentityRecord): FullIdentity {
    return { ...row, ...this.#childrenOf(row.id) };
  }

  #childrenOf(identityId: string): IdentityChildren {
    return childrenFromRows(this.#reads.children(identityId));
  }

  #insertIdentityRows(identity: FullIdentity): void {
    this.#statements.insertIdentity.run(asParams(identityRow(identity)));
    this.#insertChildren(identity);
  }

  /**
   * Runs inside the write transaction: any throw (from `mutate` too) rolls back all it wrote. A
   * write of the identity row alone comes with the row as stored, to keep once it has committed.
   */
  #mutateIdentityRows(
    id: string,
    mutate: (current: FullIdentity) => IdentityMutation<unknown>,
    guard: MutationGuard | undefined,
  ): MutationWrite<unknown> {
    const row = this.#reads.identityById(id);
    if (!row) return { result: { kind: "not_found" } };
    if (guard?.sessionId !== undefined) {
      const session = this.#reads.sessionGuard(guard.sessionId);
      if (!session || !sessionAllows(session, id, guard.now)) return { result: { kind: "session_inactive" } };
    }
    if (guard?.requireActive && row.state !== "active") return { result: { kind: "identity_inactive" } };
    const current = currentState(row, guard?.decidedOn) ?? this.#withChildren(row);
    const decision = mutate(current);
    if (!decision.identity) return { result: { kind: "done", value: decision.value, identity: current } };
    const next = normaliseIdentity({ ...decision.identity, id, version: (current.version ?? 0) + 1 });
    const childrenWritten = this.#writeChanges(current, next);
    this.#insertEvents(decision.events ?? []);
    if (decision.addressChange && !this.#moveAddressChange(decision.addressChange, next.updatedAt))
      throw new AddressChangeMovedError(decision.addressChange.id);
    if (decision.flow) this.#updateFlowRow(decision.flow(next));
    const result = { kind: "done" as const, value: decision.value, identity: next };
    const written = childrenWritten ? undefined : this.#reads.identityById(id);
    return written ? { result, rowWrite: { before: current, row: written } } : { result };
  }

  /**
   * Writes the identity row and, of its children, only those that differ from the stored ones, so
   * a profile update (traits only) is the identity row plus the reads the mutation needed anyway.
   * Answers whether any child was written.
   */
  #writeChanges(stored: FullIdentity, identity: FullIdentity): boolean {
    const statements = this.#statements;
    updateRow(
      statements.updateIdentityKeepingIndexed,
      statements.updateIdentity,
      asParams(identityRow(identity)),
    );
    const writes = planChildWrites(stored, identity);
    for (const id of writes.credentials.delete) statements.deleteCredential.run({ id });
    for (const id of writes.verifiableAddresses.delete) statements.deleteVerifiableAddress.run({ id });
    for (const id of writes.recoveryAddresses.delete) statements.deleteRecoveryAddress.run({ id });
    for (const credential of writes.credentials.update) {
      statements.updateCredential.run(credentialRow(credential));
    }
    for (const address of writes.verifiableAddresses.update) {
      statements.updateVerifiableAddress.run(asParams(address));
    }
    for (const address of writes.recoveryAddresses.update) {
      statements.updateRecoveryAddress.run(asParams(address));
    }
    this.#insertChildren({
      credentials: writes.credentials.insert,
      verifiableAddresses: writes.verifiableAddresses.insert,
      recoveryAddresses: writes.recoveryAddresses.insert,
    });
    return hasChildWrites(writes);
  }

  #insertChildren(children: IdentityChildren): void {
    const statements = this.#statements;
    for (const credential of children.credentials) {
      statements.insertCredential.run(credentialRow(credential));
      for (const row of identifierRows(credential)) statements.insertIdentifier.run(asParams(row));
    }
    for (const address of children.verifiableAddresses) {
      statements.insertVerifiableAddress.run(asParams(address));
    }
    for (const address of children.recoveryAddresses) statements.insertRecoveryAddress.run(asParams(address));
  }

  // Sessions.

  async createSession(session: SessionRecord, events: readonly SecurityEventRecord[] = []): Promise<void> {
    try {
      if (events.length === 0) this.#statements.insertSession.run(sessionRow(session));
      else this.#insertSessionWithEvents(session, events);
    } catch (error) {
      rethrowAsConflict(error);
    }
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const row = this.#statements.sessionById.get({ id });
    return row && sessionFromRow(row);
  }

  async getSessionByToken(token: string): Promise<SessionRecord | undefined> {
    const row = this.#statements.sessionByToken.get({ token });
    return row && sessionFromRow(row);
  }

  /** The identity comes from `#kept` when the session's row says it has not changed since. */
  async getSessionWithIdentityByToken(
    token: string,
  ): Promise<{ session: SessionRecord; identity: FullIdentity } | undefined> {
    return this.#turnReads.run(() => {
      const head = this.#whoamiHeadOf(token);
      if (!head) return undefined;
      const kept = this.#kept.get(head.identityId, head.identityStamp);
      if (kept) return { session: head.session(), identity: kept };
      const found = this.#read(() => {
        const row = this.#reads.sessionWithIdentityByToken(token);
        return row && { session: sessionFromRow(row.session), identity: this.#withChildren(row.identity) };
      });
      if (found) this.#kept.keepRead(found.identity);
      return found;
    });
  }

  async getSessionForWhoami(
    token: string,
  ): Promise<{ session: SessionRecord; identity: FullIdentity } | undefined> {
    // Straight on better-sqlite3: one statement needs no read transaction and no query builder.
    this.#whoami ??= this.#client.prepare<[{ token: string }], WhoamiRow>(whoamiSql("sqlite", "@token"));
    const row = this.#whoami.get({ token });
    return row && whoamiFromRow(row, false);
  }

  async getWhoamiHead(token: string): Promise<WhoamiHead | undefined> {
    return this.#turnReads.run(() => this.#whoamiHeadOf(token));
  }

  #whoamiHeadOf(token: string): WhoamiHead | undefined {
    this.#whoamiHead ??= this.#client.prepare<[{ token: string }], WhoamiHeadRow>(whoamiHeadSql("@token"));
    const row = this.#whoamiHead.get({ token });
    return row && whoamiHeadFromRow(row, false);
  }

  async updateSession(session: SessionRecord): Promise<void> {
    const statements = this.#statements;
    updateRow(statements.updateSessionKeepingIndexed, statements.updateSession, sessionRow(session));
  }

  async listSessions(identityId: string, options?: { active?: boolean }): Promise<SessionRecord[]> {
    const conditions = [eq(sessions.identityId, identityId)];
    if (options?.active !== undefined) conditions.push(eq(sessions.active, options.active));
    const rows = this.#db
      .select()
      .from(sessions)
      .where(and(...conditions))
      .orderBy(desc(sessions.createdAt), asc(sessions.id))
      .all();
    return rows.map(sessionFromRow);
  }

  async listAllSessions(query: { pageSize: number; pageToken?: string; active?: boolean }): Promise<{
    sessions: SessionRecord[];
    nextPageToken?: string;
  }> {
    const conditions: SQL[] = [];
    if (query.pageToken !== undefined) conditions.push(gt(sessions.id, query.pageToken));
    if (query.active !== undefined) conditions.push(eq(sessions.active, query.active));
    const rows = this.#db
      .select()
      .from(sessions)
      .where(and(...conditions))
      .orderBy(asc(sessions.id))
      .limit(query.pageSize + 1)
      .all();
    const page = keysetPage(rows.map(sessionFromRow), query.pageSize);
    return { sessions: page.items, ...withNextPageToken(page.nextPageToken) };
  }

  async revokeSession(id: string): Promise<boolean> {
    return this.#db.update(sessions).set({ active: false }).where(eq(sessions.id, id)).run().changes > 0;
  }

  async revokeSessionsOfIdentity(identityId: string, exceptId?: string): Promise<number> {
    const conditions = [eq(sessions.identityId, identityId), eq(sessions.active, true)];
    if (exceptId !== undefined) conditions.push(ne(sessions.id, exceptId));
    return this.#db
      .update(sessions)
      .set({ active: false })
      .where(and(...conditions))
      .run().changes;
  }

  async deleteSessionsOfIdentity(identityId: string): Promise<number> {
    return this.#db.delete(sessions).where(eq(sessions.identityId, identityId)).run().changes;
  }

  // Flows.

  async createFlow(flow: FlowRecord): Promise<void> {
    const insertFlow = this.#statements.insertFlow;
    await this.#writes.run(() => insertFlow.run(asParams(flow)));
  }

  async getFlow(id: string): Promise<FlowRecord | undefined> {
    return this.#statements.flowById.get({ id });
  }

  async updateFlow(flow: FlowRecord): Promise<void> {
    await this.#writes.run(() => this.#updateFlowRow(flow));
  }

  #updateFlowRow(flow: FlowRecord): void {
    const statements = this.#statements;
    updateRow(statements.updateFlowKeepingIndexed, statements.updateFlow, asParams(flow));
  }

  async transitionFlow(id: string, from: string, to: string, at: Date): Promise<boolean> {
    return this.#statements.transitionFlow.run({ id, from, to, at: at.getTime() }).changes > 0;
  }

  async countFlowAttempt(flowId: string, generation: string): Promise<number> {
    const row = this.#db
      .insert(selfserviceFlowAttempts)
      .values({ flowId, generation, count: 1 })
      .onConflictDoUpdate({
        target: [selfserviceFlowAttempts.flowId, selfserviceFlowAttempts.generation],
        set: { count: sql`${selfserviceFlowAttempts.count} + 1` },
      })
      .returning({ count: selfserviceFlowAttempts.count })
      .get();
    return row.count;
  }

  // Continuity containers.

  async saveContinuity(record: ContinuityRecord): Promise<void> {
    const { id: _id, ...changes } = record;
    this.#db
      .insert(continuityContainers)
      .values(record)
      .onConflictDoUpdate({ target: continuityContainers.id, set: changes })
      .run();
  }

  async getContinuity(id: string): Promise<ContinuityRecord | undefined> {
    return this.#db.select().from(continuityContainers).where(eq(continuityContainers.id, id)).get();
  }

  async deleteContinuity(id: string): Promise<void> {
    this.#db.delete(continuityContainers).where(eq(continuityContainers.id, id)).run();
  }

  async deleteContinuityByNames(identityId: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    // Every new settings flow runs it, and there is rarely anything to delete: a read first, as a
    // DELETE takes the write lock even when it matches nothing. Prepared once, any list of names.
    this.#hasContinuity ??= this.#client.prepare(
      "select 1 from continuity_containers where identity_id = ? and name in (select value from json_each(?)) limit 1",
    );
    this.#deleteContinuity ??= this.#client.prepare(
      "delete from continuity_containers where identity_id = ? and name in (select value from json_each(?))",
    );
    const list = JSON.stringify(names);
    const hasContinuity = this.#hasContinuity;
    if ((await this.#turnReads.run(() => hasContinuity.get(identityId, list))) === undefined) return;
    this.#deleteContinuity.run(identityId, list);
  }

  // Browser error container.

  async saveError(record: StoredErrorRecord): Promise<void> {
    const { id: _id, ...changes } = record;
    this.#db
      .insert(selfserviceErrors)
      .values(record)
      .onConflictDoUpdate({ target: selfserviceErrors.id, set: changes })
      .run();
  }

  async getError(id: string): Promise<StoredErrorRecord | undefined> {
    return this.#db.select().from(selfserviceErrors).where(eq(selfserviceErrors.id, id)).get();
  }

  async markErrorSeen(id: string, at: Date): Promise<void> {
    this.#db
      .update(selfserviceErrors)
      .set({ seenAt: at, updatedAt: at })
      .where(eq(selfserviceErrors.id, id))
      .run();
  }

  // Security history.

  #insertEvents(events: readonly SecurityEventRecord[]): void {
    for (const event of events) this.#statements.insertSecurityEvent.run(asParams(event));
  }

  async recordSecurityEvents(events: readonly SecurityEventRecord[]): Promise<void> {
    // One statement per event: several are written together or not at all.
    if (events.length > 1) this.#client.transaction(() => this.#insertEvents(events)).immediate();
    else this.#insertEvents(events);
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
      .limit(query.limit)
      .all();
  }

  async deleteSecurityEventsBefore(cutoff: Date): Promise<number> {
    return this.#db.delete(securityEvents).where(lt(securityEvents.createdAt, cutoff)).run().changes;
  }

  async scheduleDeletion(
    deletion: AccountDeletionRecord,
    events: readonly SecurityEventRecord[],
  ): Promise<void> {
    this.#client
      .transaction(() => {
        this.#db
          .insert(accountDeletions)
          .values(deletion)
          .onConflictDoUpdate({
            target: accountDeletions.identityId,
            set: { requestedAt: deletion.requestedAt, dueAt: deletion.dueAt },
          })
          .run();
        this.#insertEvents(events);
      })
      .immediate();
  }

  async getDeletion(identityId: string): Promise<AccountDeletionRecord | undefined> {
    return this.#db.select().from(accountDeletions).where(eq(accountDeletions.identityId, identityId)).get();
  }

  async cancelDeletion(identityId: string, events: readonly SecurityEventRecord[]): Promise<boolean> {
    return this.#client
      .transaction(() => {
        const removed =
          this.#db.delete(accountDeletions).where(eq(accountDeletions.identityId, identityId)).run().changes >
          0;
        if (removed) this.#insertEvents(events);
        return removed;
      })
      .immediate();
  }

  async dueDeletions(now: Date, limit: number): Promise<string[]> {
    const rows = this.#db
      .select({ id: accountDeletions.identityId })
      .from(accountDeletions)
      .where(lte(accountDeletions.dueAt, now))
      .orderBy(asc(accountDeletions.dueAt))
      .limit(limit)
      .all();
    return rows.map((r) => r.id);
  }

  // Courier queue.

  async enqueueMessage(message: CourierMessageRecord): Promise<void> {
    this.#db.insert(courierMessages).values(message).run();
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
      .limit(query.limit)
      .all();
  }

  async updateMessage(message: CourierMessageRecord): Promise<void> {
    const { id, ...changes } = message;
    this.#db.update(courierMessages).set(changes).where(eq(courierMessages.id, id)).run();
  }
  // Address changes.

  #moveAddressChange(move: { id: string; from: AddressChangeStatus; to: AddressChangeStatus }, at: Date) {
    return (
      this.#db
        .update(addressChanges)
        .set({ status: move.to, updatedAt: at })
        .where(and(eq(addressChanges.id, move.id), eq(addressChanges.status, move.from)))
        .run().changes > 0
    );
  }

  async createAddressChange(
    change: AddressChangeRecord,
    events: readonly SecurityEventRecord[],
  ): Promise<void> {
    this.#client
      .transaction(() => {
        this.#db
          .update(addressChanges)
          .set({ status: "cancelled", updatedAt: change.createdAt })
          .where(and(eq(addressChanges.identityId, change.identityId), eq(addressChanges.status, "pending")))
          .run();
        this.#db.insert(addressChanges).values(change).run();
        this.#insertEvents(events);
      })
      .immediate();
  }

  async getAddressChange(id: string): Promise<AddressChangeRecord | undefined> {
    return this.#db.select().from(addressChanges).where(eq(addressChanges.id, id)).get();
  }

  async getFlowAndPendingChange(
    flowId: string,
    identityId: string,
  ): Promise<{ flow: FlowRecord | undefined; pendingChange: AddressChangeRecord | undefined }> {
    const statements = this.#statements;
    return this.#turnReads.run(() => {
      const flow = statements.flowById.get({ id: flowId });
      return { flow, pendingChange: flow && statements.pendingAddressChange.get({ identityId }) };
    });
  }

  async pendingAddressChange(identityId: string): Promise<AddressChangeRecord | undefined> {
    const pending = this.#statements.pendingAddressChange;
    return this.#turnReads.run(() => pending.get({ identityId }));
  }

  async findAddressChangeByRevertHmac(hmac: string): Promise<AddressChangeRecord | undefined> {
    return this.#db.select().from(addressChanges).where(eq(addressChanges.revertHmac, hmac)).get();
  }

  async transitionAddressChange(
    id: string,
    from: AddressChangeStatus,
    to: AddressChangeStatus,
    at: Date,
    events: readonly SecurityEventRecord[],
  ): Promise<boolean> {
    return this.#client
      .transaction(() => {
        const moved = this.#moveAddressChange({ id, from, to }, at);
        if (moved) this.#insertEvents(events);
        return moved;
      })
      .immediate();
  }

  async getMessage(id: string): Promise<CourierMessageRecord | undefined> {
    const [row] = this.#db.select().from(courierMessages).where(eq(courierMessages.id, id)).all();
    return row;
  }

  async pageMessages(query: ListCourierMessagesQuery): Promise<CourierMessageRecord[]> {
    const { after } = query;
    return this.#db
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
      .limit(query.pageSize + 1)
      .all();
  }

  async claimMessages(query: ClaimCourierMessagesQuery): Promise<CourierMessageRecord[]> {
    const due = or(
      and(
        eq(courierMessages.status, "queued"),
        or(isNull(courierMessages.sendAfter), lte(courierMessages.sendAfter, query.now)),
      ),
      and(eq(courierMessages.status, "processing"), lt(courierMessages.updatedAt, query.stuckBefore)),
    );
    return this.#client.transaction(() => {
      const claimed = this.#db
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
              .limit(query.limit),
          ),
        )
        .returning()
        .all();
      return claimed.sort(byCreation);
    })();
  }

  async settleMessage(
    id: string,
    claimedAt: Date,
    changes: Pick<CourierMessageRecord, "status" | "updatedAt"> & {
      sendAfter?: Date | null;
      sendCount?: number;
    },
  ): Promise<boolean> {
    const result = this.#db
      .update(courierMessages)
      .set(changes)
      .where(
        and(
          eq(courierMessages.id, id),
          eq(courierMessages.status, "processing"),
          eq(courierMessages.updatedAt, claimedAt),
        ),
      )
      .run();
    return result.changes > 0;
  }

  async recordDispatch(dispatch: CourierDispatchRecord): Promise<void> {
    this.#db.insert(courierMessageDispatches).values(dispatch).run();
  }

  async listDispatches(messageId: string): Promise<CourierDispatchRecord[]> {
    return this.#db
      .select()
      .from(courierMessageDispatches)
      .where(eq(courierMessageDispatches.messageId, messageId))
      .orderBy(desc(courierMessageDispatches.createdAt), desc(courierMessageDispatches.id))
      .all();
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
    return this.#db.delete(table).where(inArray(table.id, batch)).run().changes;
  }
}

/** Claimed messages in the order they were queued (RETURNING has no order of its own). */
function byCreation(a: CourierMessageRecord, b: CourierMessageRecord): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

interface MutationWrite<T> {
  result: MutationResult<T>;
  rowWrite?: { before: FullIdentity; row: IdentityRecord };
}

/**
 * An update by the statement that leaves the row's indexed columns as they are (statements.ts
 * says why), or by the full one when that did not match: an indexed column changed, or no row.
 */
function updateRow<P>(
  keeping: { run(params: P): { changes: number } },
  full: { run(params: P): unknown },
  params: P,
): void {
  if (keeping.run(params).changes === 0) full.run(params);
}
