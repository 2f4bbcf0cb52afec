/** Time source injected into the app so tests can move time instead of sleeping. */
export interface Clock {
  now(): Date;
  /** Waits `ms` (web hook back-off); a manual clock moves itself instead of waiting. */
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/** A clock that only moves when told to; used by tests. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | number = Date.now()) {
    this.#ms = typeof start === "number" ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
  /** Moves the clock by `ms` at once, so code that waits never makes a test sleep. */
  async sleep(ms: number): Promise<void> {
    this.#ms += ms;
  }
  set(to: Date | number): void {
    this.#ms = typeof to === "number" ? to : to.getTime();
  }
}
