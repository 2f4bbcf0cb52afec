import { availableParallelism } from "node:os";

/**
 * Bounds how many password hashes run at once. Hashing runs on the libuv threadpool (never on the
 * event loop), but a hash is pure CPU: with more of them in flight than there are cores they only
 * slow each other down, take every threadpool thread (file and DNS work waits behind them) and
 * starve the event loop's core, so whoami's latency rises with each password change. Waiting in
 * this queue costs nothing; the throughput of hashing is the same and the rest keeps its share.
 */
export class HashQueue {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly size: number = defaultHashConcurrency()) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next waiter, so `running` stays counted for it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

/**
 * One hash per core, less one for the event loop on machines with more than two cores; at least
 * one. (On two cores two hashes still leave the loop time: the kernel shares the cores.)
 */
export function defaultHashConcurrency(): number {
  const cores = availableParallelism();
  return Math.max(1, cores > 2 ? cores - 1 : cores);
}
