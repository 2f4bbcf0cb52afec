import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { openStore } from "../../db/open.ts";
import { startAccountMaintenance } from "../account/maintenance.ts";
import { createApp } from "../app.ts";
import { systemClock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { watchCourier } from "../courier/watch.ts";
import { parseDuration } from "../duration.ts";
import { listen } from "../listen.ts";
import type { Logger } from "../logger.ts";
import { cleanupExpired, cleanupSettings } from "../ops/cleanup.ts";

/** Without configured cookie secrets, generate one once and keep it beside the database. */
function ensureCookieSecret(config: Config, logger: Logger): Config {
  if (config.secrets.cookie?.length || config.secrets.default?.length) return config;
  const sqlite = /^sqlite:\/\/(.+?)(\?|$)/.exec(config.dsn)?.[1];
  const dir = sqlite ? dirname(resolve(sqlite)) : resolve("data");
  const file = join(dir, "cookie-secret");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, crypto.randomUUID().replace(/-/g, "") + crypto.randomUUID().replace(/-/g, ""), {
      mode: 0o600,
    });
  }
  logger.warn("no secrets.cookie configured; using a generated secret kept beside the database", { file });
  return { ...config, secrets: { ...config.secrets, cookie: [readFileSync(file, "utf8").trim()] } };
}

export interface ServeOptions {
  /** How long requests in flight may take to finish after SIGTERM (`--shutdown-timeout`). */
  shutdownTimeoutMs: number;
}

/**
 * Runs `database.cleanup` every `database.cleanup.interval` while serving (never two at once);
 * answers a stop function that waits for a run in progress to end its current batch.
 */
function scheduleCleanup(config: Config, store: Awaited<ReturnType<typeof openStore>>, logger: Logger) {
  const every = config.database.cleanup.interval;
  if (!every) return async () => {};
  const settings = cleanupSettings(config);
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = cleanupExpired(store, { ...settings, now: systemClock.now(), signal: abort.signal })
      .then((report) => logger.info("cleanup finished", { ...report }))
      .catch((err: unknown) => logger.error("cleanup failed", { error: String(err) }))
      .finally(() => {
        running = undefined;
      });
  }, parseDuration(every));
  timer.unref();
  logger.info("periodic cleanup scheduled", { interval: every });
  return async () => {
    clearInterval(timer);
    abort.abort();
    await running;
  };
}

/**
 * `tessera serve`: migrates, listens on both listeners and serves until SIGTERM or SIGINT, then
 * shuts down gracefully: stop accepting, let requests in flight finish within the timeout, cut
 * off whatever is left (stalled uploads), stop the cleanup schedule, close the store, exit 0.
 */
export async function serve(loaded: Config, logger: Logger, options: ServeOptions): Promise<void> {
  const config = ensureCookieSecret(loaded, logger);
  const store = await openStore(config.dsn);
  await store.migrate();
  const [pub, adm] = await Promise.all([
    listen(config.serve.public.host, config.serve.public.port, logger),
    listen(config.serve.admin.host, config.serve.admin.port, logger),
  ]);
  // Base URLs default to the real listening addresses (which matters when a port is 0).
  const app = await createApp(
    {
      ...config,
      serve: {
        public: { ...config.serve.public, base_url: config.serve.public.base_url ?? pub.url },
        admin: { ...config.serve.admin, base_url: config.serve.admin.base_url ?? adm.url },
      },
    },
    store,
    { logger, processMetrics: true },
  );
  pub.bind(app.public);
  adm.bind(app.admin);
  const stopCleanup = scheduleCleanup(config, store, logger);
  const stopMaintenance = startAccountMaintenance(app.deps);
  // Queued mail leaves from the server process too; `tessera courier watch` runs the same loop alone.
  const courier = await watchCourier(config, { store, logger });
  logger.info("public API listening", { url: pub.url });
  logger.info("admin API listening", { url: adm.url });
  logger.info(`open ${app.deps.config.ui.registration} to sign up`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal, timeout_ms: options.shutdownTimeoutMs });
    // A last resort: whatever hangs past the grace period (a store that will not close) ends here.
    setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, options.shutdownTimeoutMs + 5_000).unref();
    await Promise.all([pub.shutdown(options.shutdownTimeoutMs), adm.shutdown(options.shutdownTimeoutMs)]);
    await stopCleanup();
    stopMaintenance();
    await courier.stop();
    await store.close();
    logger.info("shut down");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}
