/**
 * Work asked for within one turn of the event loop, handed over together at the end of that turn
 * (the check phase: after the turn's I/O callbacks and the promise jobs they started).
 *
 * Why it pays: under load, requests that arrive together ask for the same kinds of work at about
 * the same time, and one transaction, commit or statement for all of them costs one set of locks or
 * one round trip instead of one each (sqlite/turn-reads.ts, sqlite/group-commit.ts,
 * pg/turn-batch.ts). An idle server loses nothing: its turn ends at once.
 */
export class TurnQueue<I> {
  #items: I[] = [];

  constructor(private readonly flush: (items: I[]) => void) {}

  add(item: I): void {
    if (this.#items.push(item) === 1) setImmediate(this.#take);
  }

  readonly #take = (): void => {
    const items = this.#items;
    this.#items = [];
    this.flush(items);
  };
}

/** A piece of work asked for with a promise: what it runs, and how its caller hears of it. */
export interface Asked<W, V> {
  work: W;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/** Queues `work` and answers what the batch it goes into settles it with. */
export function ask<W, V>(queue: TurnQueue<Asked<W, V>>, work: W): Promise<V> {
  return new Promise<V>((resolve, reject) => queue.add({ work, resolve, reject }));
}

export type Outcome<V> = { ok: true; value: V } | { ok: false; error: unknown };

/** Runs `work`, catching what it throws. */
export function outcomeOf<V>(work: () => V): Outcome<V> {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Settles each asked piece of work with its outcome (`outcomes` in the same order). */
export function settle<V>(asked: readonly Asked<unknown, V>[], outcomes: readonly Outcome<V>[]): void {
  asked.forEach((a, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) a.resolve(outcome.value);
    else a.reject(outcome.error);
  });
}

/** Rejects every asked piece of work with one error: the batch as a whole failed. */
export function rejectAll(asked: readonly Asked<unknown, never>[], error: unknown): void {
  for (const a of asked) a.reject(error);
}
