import { openStore } from "../../db/open.ts";
import type { Store } from "../../db/store.ts";
import { loadConfig, releaseConfigCaches } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import type { Logger } from "../logger.ts";
import { loggerFor } from "../observe/log-format.ts";

/** The options every command shares (Kratos's `-c/--config`, `--dev`). */
export interface GlobalOptions {
  config?: string;
  dev?: boolean;
}

/** Config (file, then environment), with `--dev` applied, and its logger. */
export function loadCommandConfig(options: GlobalOptions): { config: Config; logger: Logger } {
  const loaded = loadConfig({ ...(options.config ? { file: options.config } : {}), env: process.env });
  // A command loads its configuration once: what that built would stay in memory for nothing.
  releaseConfigCaches();
  const config = options.dev ? { ...loaded, dev: true } : loaded;
  return { config, logger: loggerFor(config) };
}

/** Opens and migrates the configured store, runs `work`, and always closes the store. */
export async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config.dsn);
  try {
    await store.migrate();
    return await work(store);
  } finally {
    await store.close();
  }
}

/** A DSN as it may be logged: without the password. */
export function shownDsn(dsn: string): string {
  return dsn.replace(/\/\/[^@/]*@/, "//***@");
}

/** Progress bars only for a person watching: never into a pipe, a file or a CI log. */
export function onTerminal(): boolean {
  return process.stdout.isTTY === true;
}
