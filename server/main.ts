import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { openStore } from "../db/open.ts";
import { startAccountMaintenance } from "./account/maintenance.ts";
import { createApp } from "./app.ts";
import { ConfigError } from "./config/errors.ts";
import { loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { watchCourier } from "./courier/watch.ts";
import { listen } from "./listen.ts";
import { createLogger, type Logger } from "./logger.ts";

interface Args {
  command: "serve" | "migrate" | "courier-watch";
  configFile: string | undefined;
  dev: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { command: "serve", configFile: undefined, dev: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "migrate" || a === "serve") args.command = a;
    else if (a === "courier" && argv[i + 1] === "watch") {
      args.command = "courier-watch";
      i++;
    } else if (a === "--dev") args.dev = true;
    else if (a === "--config" || a === "-c") args.configFile = argv[++i];
    else if (a.startsWith("--config=")) args.configFile = a.slice("--config=".length);
    else if (a === "sql" || a === "-e" || a === "--read-from-env" || a === "--yes") continue;
    else
      throw new ConfigError(
        `unknown argument "${a}" (usage: main.ts [serve|migrate|courier watch] [--config FILE] [--dev])`,
      );
  }
  return args;
}

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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const loaded = loadConfig({ ...(args.configFile ? { file: args.configFile } : {}), env: process.env });
  const logger = createLogger(loaded.log.level, loaded.log.format);
  const config = ensureCookieSecret(args.dev ? { ...loaded, dev: true } : loaded, logger);
  if (args.command === "courier-watch") {
    const worker = await watchCourier(config, { logger });
    const stopWorker = async () => {
      await worker.stop();
      process.exit(0);
    };
    process.on("SIGINT", stopWorker);
    process.on("SIGTERM", stopWorker);
    return;
  }
  const store = await openStore(config.dsn);
  await store.migrate();
  if (args.command === "migrate") {
    logger.info("migrations applied", { dsn: config.dsn.replace(/\/\/[^@/]*@/, "//***@") });
    await store.close();
    return;
  }
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
    { logger },
  );
  pub.bind(app.public);
  adm.bind(app.admin);
  const stopMaintenance = startAccountMaintenance(app.deps);
  // Queued mail leaves from the server process too; `courier watch` runs the same loop alone.
  const courier = await watchCourier(config, { store, logger });
  logger.info("public API listening", { url: pub.url });
  logger.info("admin API listening", { url: adm.url });
  logger.info(`open ${app.deps.config.ui.registration} to sign up`);
  const stop = async () => {
    stopMaintenance();
    await Promise.all([pub.close(), adm.close(), courier.stop()]);
    await store.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err) => {
  if (err instanceof ConfigError || (err instanceof Error && err.name === "SchemaLoadError")) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
});
