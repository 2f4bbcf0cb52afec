import { openStore } from "../../db/open.ts";
import type { Store } from "../../db/store.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { createLogger, type Logger } from "../logger.ts";
import { CourierDispatcher, type DispatcherOptions } from "./dispatcher.ts";

/** A running dispatcher and how to stop it. */
export interface CourierWorker {
  dispatcher: CourierDispatcher;
  /** Stops dispatching (waiting for a pass in progress) and closes what it opened. */
  stop(): Promise<void>;
}

export interface CourierWorkerOptions {
  /** An open store to use; otherwise the one `config.dsn` names is opened (and closed by `stop`). */
  store?: Store;
  clock?: Clock;
  logger?: Logger;
  transport?: DispatcherOptions["transport"];
  timer?: DispatcherOptions["timer"];
}

/**
 * Starts a dispatcher that sends queued mail every `courier.worker.pull_wait`, as Kratos's
 * `kratos courier watch` does for a separate worker process (the CLI's `courier watch`). The
 * server process runs the same dispatcher next to its listeners; several may share one database.
 * The schema is expected to be migrated already (`migrate`).
 */
export async function watchCourier(
  config: Config,
  options: CourierWorkerOptions = {},
): Promise<CourierWorker> {
  const logger = options.logger ?? createLogger(config.log.level, config.log.format);
  const store = options.store ?? (await openStore(config.dsn));
  const dispatcher = new CourierDispatcher({
    store,
    clock: options.clock ?? systemClock,
    logger,
    courier: config.courier,
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.timer ? { timer: options.timer } : {}),
  });
  dispatcher.start();
  logger.info("courier dispatching queued messages", { pull_wait: config.courier.worker.pull_wait });
  return {
    dispatcher,
    async stop() {
      await dispatcher.stop();
      if (!options.store) await store.close();
    },
  };
}
