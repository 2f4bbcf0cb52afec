import type Database from "better-sqlite3";

interface Queued {
  work: () => unknown;
  committed: ((value: unknown) => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: the writes asked for within one turn of the event loop run in one IMMEDIATE
 * transaction at the end of that turn, each in its own savepoint, and each caller hears of its
 * own write only once the transaction has committed.
 *
 * Why: on SQLite a commit's cost is its system calls (the write lock, then two writes per page into
 * the WAL), not its statements. Requests that arrive together under load write several pages in
 * common (the tail of the history table and its indexes, the lock itself); one commit writes each
 * of them once. Every write still decides on the state it reads under the write lock, one after the
 * other in the order they were asked for, so none can revert another.
 *
 * A write that throws rolls back its own savepoint and rejects its caller alone; a transaction that
 * fails to commit rejects every caller in it, none of whose writes then happened.
 */
export class GroupCommit {
  #queued: Queued[] = [];
  readonly #inSavepoint: (work: () => unknown) => unknown;
  readonly #runBatch: (batch: readonly Queued[]) => Outcome[];

  constructor(client: Database.Database) {
    // Called inside the batch's transaction, better-sqlite3 runs a transaction function in a savepoint.
    this.#inSavepoint = client.transaction((work: () => unknown) => work());
    this.#runBatch = client.transaction((batch: readonly Queued[]): Outcome[] => {
      // Alone in its transaction, a write needs no savepoint: its throw rolls the transaction back.
      if (batch.length === 1) return [{ ok: true, value: batch[0]!.work() }];
      return batch.map((item) => {
        try {
          return { ok: true, value: this.#inSavepoint(item.work) };
        } catch (error) {
          return { ok: false, error };
        }
      });
    }).immediate;
  }

  /**
   * Runs `work` (synchronous, in the write transaction) with the writes asked for in the same turn;
   * `committed` runs with its value once the transaction has committed, before any caller resumes.
   */
  run<T>(work: () => T, committed?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queued: Queued = {
        work,
        committed: committed as ((value: unknown) => void) | undefined,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      if (this.#queued.push(queued) === 1) setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    const batch = this.#queued;
    this.#queued = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.#runBatch(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => {
      const item = batch[i]!;
      if (outcome.ok) {
        item.committed?.(outcome.value);
        item.resolve(outcome.value);
      } else item.reject(outcome.error);
    });
  };
}
