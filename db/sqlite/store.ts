import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { and, asc, desc, eq, gt, inArray, lte, ne, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { rethrowAsConflict } from "../conflict.ts";
import { sessionAllows } from "../guard.ts";
import {
  childrenFromRows,
  credentialRow,
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
import type {
  ContinuityRecord,
  CourierMessageRecord,
  CredentialType,
  ExpiringRecords,
  FlowRecord,
  FullIdentity,
  IdentityMutation,
  IdentityRecord,
  ListIdentitiesQuery,
  MutationGuard,
  MutationResult,
  SessionRecord,
  Store,
  StoredErrorRecord,
} from "../store.ts";
import * as schema from "./schema.ts";
import { prepareStatements, type SqliteDb, type SqliteStatements } from "./statements.ts";

const migrationsFolder = fileURLToPath(new URL("../migrations/sqlite", import.meta.url));

const {
  identities,
  identityCredentialIdentifiers,
  sessions,
  continuityContainers,
  selfserviceErrors,
  courierMessages,
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
  readonly #insertIdentity: (identity: FullIdentity) => void;
  readonly #mutateIdentity: (
    id: string,
    mutate: (current: FullIdentity) => IdentityMutation<unknown>,
    guard: MutationGuard | undefined,
  ) => MutationResult<unknown>;
  /**
   * Runs a multi-statement read in one transaction, so that it sees one snapshot even when
   * another process writes to the same file between statements (and takes the lock only once).
   */
  readonly #read: <T>(read: () => T) => T;

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
    this.#insertIdentity = this.#client.transaction((identity: FullIdentity) =>
      this.#insertIdentityRows(identity),
    ).immediate;
    // IMMEDIATE takes the write lock before the first read, so the state a mutation decides on is
    // still the current one when it writes, across connections and processes.
    this.#mutateIdentity = this.#client.transaction(
      (
        id: string,
        mutate: (current: FullIdentity) => IdentityMutation<unknown>,
        guard: MutationGuard | undefined,
      ) => this.#mutateIdentityRows(id, mutate, guard),
    ).immediate;
    const readTransaction = this.#client.transaction((read: () => unknown) => read()).deferred;
    this.#read = readTransaction as <T>(read: () => T) => T;
  }

  /** Prepared on first use, because preparing needs the tables that `migrate()` creates. */
  get #statements(): SqliteStatements {
    this.#prepared ??= prepareStatements(this.#db);
    return this.#prepared;
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

  async createIdentity(identity: FullIdentity): Promise<FullIdentity> {
    const normalised = normaliseIdentity({ ...identity, version: 0 });
    try {
      this.#insertIdentity(normalised);
    } catch (error) {
      rethrowAsConflict(error);
    }
    return normalised;
  }

  async getIdentity(id: string): Promise<FullIdentity | undefined> {
    return this.#read(() => {
      const row = this.#statements.identityById.get({ id });
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
      return this.#mutateIdentity(id, mutate, guard) as MutationResult<T>;
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
    const statements = this.#statements;
    const params = { identityId };
    return childrenFromRows({
      credentials: statements.credentialsOf.all(params),
      identifiers: statements.identifiersOf.all(params),
      verifiableAddresses: statements.verifiableAddressesOf.all(params),
      recoveryAddresses: statements.recoveryAddressesOf.all(params),
    });
  }

  #insertIdentityRows(identity: FullIdentity): void {
    this.#statements.insertIdentity.run(asParams(identityRow(identity)));
    this.#insertChildren(identity);
  }

  /** Runs inside the immediate transaction: any throw (from `mutate` too) rolls everything back. */
  #mutateIdentityRows(
    id: string,
    mutate: (current: FullIdentity) => IdentityMutation<unknown>,
    guard: MutationGuard | undefined,
  ): MutationResult<unknown> {
    const statements = this.#statements;
    const row = statements.identityById.get({ id });
    if (!row) return { kind: "not_found" };
    if (guard?.sessionId !== undefined) {
      const session = statements.sessionById.get({ id: guard.sessionId });
      if (!session || !sessionAllows(session, id, guard.now)) return { kind: "session_inactive" };
    }
    if (guard?.requireActive && row.state !== "active") return { kind: "identity_inactive" };
    const current = this.#withChildren(row);
    const decision = mutate(current);
    if (!decision.identity) return { kind: "done", value: decision.value, identity: current };
    const next = normaliseIdentity({ ...decision.identity, id, version: (current.version ?? 0) + 1 });
    this.#writeChanges(current, next);
    return { kind: "done", value: decision.value, identity: next };
  }

  /**
   * Writes the identity row and, of its children, only those that differ from the stored ones, so
   * a profile update (traits only) is the identity row plus the reads the mutation needed anyway.
   */
  #writeChanges(stored: FullIdentity, identity: FullIdentity): void {
    const statements = this.#statements;
    statements.updateIdentity.run(asParams(identityRow(identity)));
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

  async createSession(session: SessionRecord): Promise<void> {
    try {
      this.#statements.insertSession.run(sessionRow(session));
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

  async getSessionWithIdentityByToken(
    token: string,
  ): Promise<{ session: SessionRecord; identity: FullIdentity } | undefined> {
    return this.#read(() => {
      const row = this.#statements.sessionWithIdentityByToken.get({ token });
      return row && { session: sessionFromRow(row.session), identity: this.#withChildren(row.identity) };
    });
  }

  async updateSession(session: SessionRecord): Promise<void> {
    this.#statements.updateSession.run(sessionRow(session));
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
    this.#statements.insertFlow.run(asParams(flow));
  }

  async getFlow(id: string): Promise<FlowRecord | undefined> {
    return this.#statements.flowById.get({ id });
  }

  async updateFlow(flow: FlowRecord): Promise<void> {
    this.#statements.updateFlow.run(asParams(flow));
  }

  async transitionFlow(id: string, from: string, to: string, at: Date): Promise<boolean> {
    return this.#statements.transitionFlow.run({ id, from, to, at: at.getTime() }).changes > 0;
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
    this.#db
      .delete(continuityContainers)
      .where(and(eq(continuityContainers.identityId, identityId), inArray(continuityContainers.name, names)))
      .run();
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
