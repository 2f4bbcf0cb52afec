import type { Store } from "../../db/store.ts";

/**
 * Makes the next `n` reads of one flow wait for each other, so `n` concurrent submissions all hold
 * the same copy of the flow before any of them writes: the interleaving a race needs, every run.
 * The store stays the real one; only the timing of those reads changes.
 */
export function holdFlowReads(store: Store, flowId: string, n: number): void {
  const read = store.getFlow.bind(store);
  const waiting: (() => void)[] = [];
  let held = 0;
  store.getFlow = async (id: string) => {
    if (id !== flowId || held >= n) return read(id);
    held++;
    const copy = await read(id);
    await new Promise<void>((release) => {
      waiting.push(release);
      if (waiting.length === n) for (const go of waiting) go();
    });
    return copy;
  };
}
