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
 * One hash per core but one, at least one: the core left over is the event loop's. With every core
 * hashing (two hashes on two cores), whoami's p99 rose to 87 ms while password changes ran; the
 * loop must not have to win its core back from the kernel's scheduler for each request.
 */
export function defaultHashConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}
