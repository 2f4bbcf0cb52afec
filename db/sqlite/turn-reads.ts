import type Database from "better-sqlite3";

interface Queued {
  read: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The reads asked for within one turn of the event loop, run together at its end in one read
 * transaction: one snapshot, and SQLite's locks taken once instead of once per read.
 *
 * Why: in WAL mode every read outside a transaction takes and releases a read lock (two to four
 * `fcntl` calls, more after each commit moves the WAL's end), and on this kind of machine those
 * system calls cost more than the indexed lookups they guard. Requests that arrive together under
 * load each start with a session lookup. A read asked for after a write was answered sees it: it
 * runs in a later turn.
 */
export class TurnReads {
  #queued: Queued[] = [];
  readonly #runAll: (batch: readonly Queued[]) => Outcome[];

  constructor(client: Database.Database) {
    this.#runAll = client.transaction((batch: readonly Queued[]) => batch.map(outcomeOf)).deferred;
  }

  /** `read` (synchronous, statements only) with the other reads of this turn. */
  run<T>(read: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queued: Queued = { read, resolve: resolve as (value: unknown) => void, reject };
      if (this.#queued.push(queued) === 1) setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    const batch = this.#queued;
    this.#queued = [];
    let outcomes: Outcome[];
    try {
      // One read needs no transaction around it: its statement is one snapshot already.
      outcomes = batch.length === 1 ? [outcomeOf(batch[0]!)] : this.#runAll(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) batch[i]!.resolve(outcome.value);
      else batch[i]!.reject(outcome.error);
    });
  };
}

function outcomeOf(item: Queued): Outcome {
  try {
    return { ok: true, value: item.read() };
  } catch (error) {
    return { ok: false, error };
  }
}
