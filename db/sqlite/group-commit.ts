import type Database from "better-sqlite3";
import { type Asked, ask, type Outcome, outcomeOf, rejectAll, settle, TurnQueue } from "../turn-queue.ts";

interface Write {
  run: () => unknown;
  committed: ((value: unknown) => void) | undefined;
}

/**
 * Group commit: the writes asked for within one turn of the event loop run in one IMMEDIATE
 * transaction at the end of that turn (turn-queue.ts), each in its own savepoint, and each caller
 * hears of its own write only once the transaction has committed.
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
  readonly #queue: TurnQueue<Asked<Write, unknown>>;

  constructor(client: Database.Database) {
    // Called inside the batch's transaction, better-sqlite3 runs a transaction function in a savepoint.
    const inSavepoint = client.transaction((run: () => unknown) => run());
    const runBatch = client.transaction((batch: readonly Asked<Write, unknown>[]): Outcome<unknown>[] => {
      // Alone in its transaction, a write needs no savepoint: its throw rolls the transaction back.
      if (batch.length === 1) return [{ ok: true, value: batch[0]!.work.run() }];
      return batch.map((asked) => outcomeOf(() => inSavepoint(asked.work.run)));
    }).immediate;
    this.#queue = new TurnQueue((batch) => {
      let outcomes: Outcome<unknown>[];
      try {
        outcomes = runBatch(batch);
      } catch (error) {
        rejectAll(batch, error);
        return;
      }
      outcomes.forEach((outcome, i) => {
        if (outcome.ok) batch[i]!.work.committed?.(outcome.value);
      });
      settle(batch, outcomes);
    });
  }

  /**
   * Runs `work` (synchronous, in the write transaction) with the writes asked for in the same turn;
   * `committed` runs with its value once the transaction has committed, before any caller resumes.
   */
  run<T>(work: () => T, committed?: (value: T) => void): Promise<T> {
    return ask(this.#queue, { run: work, committed: committed as Write["committed"] }) as Promise<T>;
  }
}
