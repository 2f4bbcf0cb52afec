/**
 * Values kept per key under the stamp they were made at: a lookup with another stamp misses. At
 * most `max` keys, the oldest written first out (whoami's serialised identities and sessions, the
 * stores' kept identities).
 */
export class StampedValues<T> {
  readonly #entries = new Map<string, { stamp: string; value: T }>();

  constructor(readonly max: number) {}

  get(key: string, stamp: string): T | undefined {
    const entry = this.#entries.get(key);
    return entry?.stamp === stamp ? entry.value : undefined;
  }

  /** The entry kept for `key`, whatever its stamp. */
  entry(key: string): { stamp: string; value: T } | undefined {
    return this.#entries.get(key);
  }

  set(key: string, stamp: string, value: T): void {
    this.#entries.delete(key);
    this.#entries.set(key, { stamp, value });
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
