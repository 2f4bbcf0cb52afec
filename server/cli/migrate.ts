import { openStore } from "../../db/open.ts";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../logger.ts";
import { shownDsn } from "./context.ts";

/** `tessera migrate up`: applies pending migrations (also what `serve` does at start). */
export async function migrateUp(config: Config, logger: Logger): Promise<void> {
  const store = await openStore(config.dsn);
  try {
    await store.migrate();
    logger.info("migrations applied", { dsn: shownDsn(config.dsn) });
  } finally {
    await store.close();
  }
}

/**
 * `tessera migrate status`: one line per migration on stdout, `applied` or `pending`, like
 * Kratos's `migrate sql status`; exits 0 either way (it changes nothing).
 */
export async function migrateStatus(config: Config, out: (line: string) => void): Promise<void> {
  const store = await openStore(config.dsn);
  try {
    const states = await store.migrationStatus();
    for (const s of states) out(`${s.applied ? "applied" : "pending"}\t${s.name}`);
    const pending = states.filter((s) => !s.applied).length;
    out(
      pending === 0 ? "database is up to date" : `${pending} migration(s) pending: run "tessera migrate up"`,
    );
  } finally {
    await store.close();
  }
}
