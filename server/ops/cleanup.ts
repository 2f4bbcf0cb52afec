import type { ExpiringRecords, Store } from "../../db/store.ts";
import type { Config } from "../config/schema.ts";
import { parseDuration } from "../duration.ts";

/** Kratos's `database.cleanup` keys, in milliseconds. */
export interface CleanupSettings {
  /** Only records expired at least this long ago go (`older_than`, Kratos's `--keep-last`). */
  olderThanMs: number;
  batchSize: number;
  /** Pause between tables (`sleep.tables`), so a large cleanup leaves the database room to breathe. */
  sleepBetweenTablesMs: number;
}

export function cleanupSettings(config: Config): CleanupSettings {
  const c = config.database.cleanup;
  return {
    olderThanMs: parseDuration(c.older_than),
    batchSize: c.batch_size,
    sleepBetweenTablesMs: parseDuration(c.sleep.tables),
  };
}

/** The order Kratos cleans in: sessions, continuity containers, then flows. */
export const CLEANUP_ORDER: readonly ExpiringRecords[] = ["sessions", "continuity", "flows"];

export type CleanupReport = Record<ExpiringRecords, number>;

export interface CleanupRun extends CleanupSettings {
  /** The present (the app's clock): records that expired before `now - olderThan` go. */
  now: Date;
  /** Called after each batch with the running total of the table. */
  onBatch?: (kind: ExpiringRecords, deletedSoFar: number) => void;
  /** Stops between batches (shutdown). */
  signal?: AbortSignal;
  /** Waits between tables; injectable so tests and the serve loop need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms).unref());

/**
 * Deletes expired sessions, continuity containers and flows in batches of `batchSize`, each batch
 * its own statement (short locks), until a batch comes back short. Unlike Kratos's `cleanup sql`,
 * which deletes one batch per table and asks to be re-run, one run empties what has expired.
 */
export async function cleanupExpired(store: Store, run: CleanupRun): Promise<CleanupReport> {
  const before = new Date(run.now.getTime() - run.olderThanMs);
  const report: CleanupReport = { sessions: 0, continuity: 0, flows: 0 };
  const sleep = run.sleep ?? sleepFor;
  for (const [i, kind] of CLEANUP_ORDER.entries()) {
    if (i > 0 && run.sleepBetweenTablesMs > 0 && !run.signal?.aborted) await sleep(run.sleepBetweenTablesMs);
    for (;;) {
      if (run.signal?.aborted) return report;
      const deleted = await store.deleteExpired(kind, before, run.batchSize);
      report[kind] += deleted;
      run.onBatch?.(kind, report[kind]);
      if (deleted < run.batchSize) break;
    }
  }
  return report;
}
