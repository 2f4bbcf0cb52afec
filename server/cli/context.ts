import { openStore } from "../../db/open.ts";
import type { Store } from "../../db/store.ts";
import { loadConfig, releaseConfigCaches } from "../config/load.ts";
import type { Config, ConfigInput } from "../config/schema.ts";
import type { Logger } from "../logger.ts";
import { loggerFor } from "../observe/log-format.ts";

/** The options every command shares (Kratos's `-c/--config`, `--dev`). */
export interface GlobalOptions {
  config?: string;
  dev?: boolean;
}

/**
 * What `npm start` without a configuration file adds to the schema's defaults: the account
 * centre's export and deletion (docs/account-features.md) are off by default for a configured
 * server (an operator turns them on knowingly) and on in this zero-config run, which is a whole
 * product out of the box. The environment can still turn them off (ACCOUNT_EXPORT_ENABLED=false).
 */
export const BUILT_IN_CONFIG: ConfigInput = {
  account: { export: { enabled: true }, deletion: { enabled: true } },
};

/** Config (file, or the built-in one without a file; then environment), with `--dev` applied, and its logger. */
export function loadCommandConfig(options: GlobalOptions): { config: Config; logger: Logger } {
  const loaded = loadConfig({
    ...(options.config ? { file: options.config } : { base: BUILT_IN_CONFIG }),
    env: process.env,
  });
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
