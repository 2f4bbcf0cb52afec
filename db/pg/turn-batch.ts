import { type Asked, ask, rejectAll, settle, TurnQueue } from "../turn-queue.ts";

/**
 * Lookups asked for within one turn of the event loop, answered by one statement at its end
 * (turn-queue.ts).
 *
 * Why: on PostgreSQL every statement is a round trip, and on a loaded server the round trip, not
 * the query, is the cost: the send wakes a backend and the answer wakes this process. Requests that
 * arrive together each look their session up first; one statement with all their tokens answers
 * them all. `lookup` gets the keys in the order asked and answers one value per key, in that order.
 * A failed statement rejects every lookup in it.
 */
export class TurnBatch<K, V> {
  readonly #queue: TurnQueue<Asked<K, V>>;

  constructor(lookup: (keys: readonly K[]) => Promise<readonly V[]>) {
    this.#queue = new TurnQueue((asked) => {
      lookup(asked.map((a) => a.work)).then(
        (values) =>
          settle(
            asked,
            values.map((value) => ({ ok: true, value })),
          ),
        (error: unknown) => rejectAll(asked, error),
      );
    });
  }

  get(key: K): Promise<V> {
    return ask(this.#queue, key);
  }
}

/**
 * A batched statement's rows in the order of its keys: each where its `n` (the key's ordinality from
 * 1, a bigint, so a string) says, undefined for a key no row answered.
 */
export function byPosition<R extends { n: string }>(rows: readonly R[], count: number): (R | undefined)[] {
  const answers: (R | undefined)[] = new Array(count).fill(undefined);
  for (const row of rows) answers[Number(row.n) - 1] = row;
  return answers;
}
