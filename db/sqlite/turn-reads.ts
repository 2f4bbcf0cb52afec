import type Database from "better-sqlite3";
import { type Asked, ask, type Outcome, outcomeOf, rejectAll, settle, TurnQueue } from "../turn-queue.ts";

type Read = () => unknown;

/**
 * The reads asked for within one turn of the event loop, run together at its end (turn-queue.ts) in
 * one read transaction: one snapshot, and SQLite's locks taken once instead of once per read.
 *
 * Why: in WAL mode every read outside a transaction takes and releases a read lock (two to four
 * `fcntl` calls, more after each commit moves the WAL's end), and on this kind of machine those
 * system calls cost more than the indexed lookups they guard. Requests that arrive together under
 * load each start with a session lookup. A read asked for after a write was answered sees it: it
 * runs in a later turn.
 */
export class TurnReads {
  readonly #queue: TurnQueue<Asked<Read, unknown>>;

  constructor(client: Database.Database) {
    const runAll = client.transaction((batch: readonly Asked<Read, unknown>[]) =>
      batch.map((asked) => outcomeOf(asked.work)),
    ).deferred;
    this.#queue = new TurnQueue((batch) => {
      let outcomes: Outcome<unknown>[];
      try {
        // One read needs no transaction around it: its statement is one snapshot already.
        outcomes = batch.length === 1 ? [outcomeOf(batch[0]!.work)] : runAll(batch);
      } catch (error) {
        rejectAll(batch, error);
        return;
      }
      settle(batch, outcomes);
    });
  }

  /** `read` (synchronous, statements only) with the other reads of this turn. */
  run<T>(read: () => T): Promise<T> {
    return ask(this.#queue, read) as Promise<T>;
  }
}
