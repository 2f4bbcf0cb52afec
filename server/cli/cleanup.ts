import { SingleBar } from "cli-progress";
import type { ExpiringRecords } from "../../db/store.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { parseDuration } from "../duration.ts";
import type { Logger } from "../logger.ts";
import { type CleanupReport, type CleanupSettings, cleanupExpired, cleanupSettings } from "../ops/cleanup.ts";
import { onTerminal, withStore } from "./context.ts";

export interface CleanupFlags {
  olderThan?: string;
  batchSize?: string;
  sleep?: string;
}

const LABEL: Record<ExpiringRecords, string> = {
  sessions: "expired sessions",
  continuity: "expired continuity containers",
  flows: "expired flows",
};

/** `database.cleanup` from the config, with the command line's flags over it. */
export function settingsWithFlags(config: Config, flags: CleanupFlags): CleanupSettings {
  const base = cleanupSettings(config);
  const batchSize = flags.batchSize === undefined ? base.batchSize : Number(flags.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`--batch-size must be a positive integer`);
  return {
    olderThanMs: flags.olderThan === undefined ? base.olderThanMs : parseDuration(flags.olderThan),
    batchSize,
    sleepBetweenTablesMs: flags.sleep === undefined ? base.sleepBetweenTablesMs : parseDuration(flags.sleep),
  };
}

/**
 * `tessera cleanup`: deletes what expired before now minus `older_than`, in batches. On a terminal a
 * progress line counts each table; the summary goes to stdout either way.
 */
export async function runCleanup(
  config: Config,
  flags: CleanupFlags,
  clock: Clock,
  out: (line: string) => void,
  logger: Logger,
): Promise<CleanupReport> {
  const settings = settingsWithFlags(config, flags);
  const bar = onTerminal()
    ? new SingleBar({ format: "cleanup {table}: {value} deleted", clearOnComplete: false, fps: 10 })
    : undefined;
  let current: ExpiringRecords | undefined;
  const report = await withStore(config, (store) =>
    cleanupExpired(store, {
      ...settings,
      now: clock.now(),
      onBatch: (kind, soFar) => {
        if (!bar) return;
        if (kind !== current) {
          if (current) bar.stop();
          current = kind;
          bar.start(0, 0, { table: LABEL[kind] });
        }
        bar.update(soFar, { table: LABEL[kind] });
      },
    }),
  );
  bar?.stop();
  logger.info("cleanup finished", { ...report });
  out(
    `deleted ${report.sessions} sessions, ${report.continuity} continuity containers, ${report.flows} flows`,
  );
  return report;
}
