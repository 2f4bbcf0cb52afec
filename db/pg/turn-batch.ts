interface Asked<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Lookups asked for within one turn of the event loop, answered by one statement at its end.
 *
 * Why: on PostgreSQL every statement is a round trip, and on a loaded server the round trip, not
 * the query, is the cost: the send wakes a backend and the answer wakes this process. Requests that
 * arrive together each look their session up first; one statement with all their tokens answers
 * them all. `lookup` gets the keys in the order asked and answers one value per key, in that order.
 * A failed statement rejects every lookup in it.
 */
export class TurnBatch<K, V> {
  #asked: Asked<K, V>[] = [];

  constructor(private readonly lookup: (keys: readonly K[]) => Promise<readonly V[]>) {}

  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      if (this.#asked.push({ key, resolve, reject }) === 1) setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    const asked = this.#asked;
    this.#asked = [];
    this.lookup(asked.map((a) => a.key)).then(
      (values) => {
        asked.forEach((a, i) => {
          a.resolve(values[i] as V);
        });
      },
      (error: unknown) => {
        for (const a of asked) a.reject(error);
      },
    );
  };
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
