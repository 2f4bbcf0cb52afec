/**
 * Tessera configured for the single-page example, started in-process on listeners the caller opened
 * (so their real ports are known first). What the example needs from the configuration:
 *
 * - `selfservice.flows.settings.ui_url` = the app's URL: Tessera sends the browser there with
 *   `?flow=` after a settings change finished in the browser (e.g. after the refresh login);
 * - `selfservice.allowed_return_urls` includes the app, so sign-in and sign-up may return to it;
 * - `serve.public.cors` allows the app's origin with credentials, so its tRPC calls carry cookies.
 *
 * Everything else (the sign-in and sign-up pages, the refresh login) is Tessera's built-in UI.
 */
import { openStore } from "../../db/open.ts";
import type { Store } from "../../db/store.ts";
import { type App, createApp } from "../../server/app.ts";
import type { Clock } from "../../server/clock.ts";
import { loadConfig } from "../../server/config/load.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import type { Listener } from "../../server/listen.ts";
import type { Logger } from "../../server/logger.ts";

export interface ExampleTesseraOptions {
  /** The public and admin listeners, already listening (see server/listen.ts). */
  public: Listener;
  admin: Listener;
  /** The single-page app's URL, e.g. `http://127.0.0.1:4455/`. Must share Tessera's host name. */
  spaUrl: string;
  /** The store, e.g. `sqlite://./data/spa-example/tessera.sqlite`. */
  dsn: string;
  /** Environment overrides as for the server (`LOG_LEVEL`, …); the example's own settings win. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Password hashing settings (tests use cheap ones). */
  hashers?: ConfigInput["hashers"];
  clock?: Clock;
  logger?: Logger;
}

export interface ExampleTessera {
  app: App;
  store: Store;
  publicUrl: string;
  adminUrl: string;
  close(): Promise<void>;
}

/** The configuration the example adds to the defaults. */
export function exampleConfig(opts: {
  spaUrl: string;
  publicUrl: string;
  adminUrl: string;
  dsn: string;
  hashers?: ConfigInput["hashers"];
}): ConfigInput {
  const spa = new URL(opts.spaUrl);
  const spaPublic = new URL(opts.publicUrl);
  if (spa.hostname !== spaPublic.hostname) {
    throw new Error(
      `the app (${spa.host}) and Tessera (${spaPublic.host}) must use the same host name, or the browser won't send Tessera's cookies with the app's calls`,
    );
  }
  return {
    dsn: opts.dsn,
    serve: {
      public: {
        base_url: opts.publicUrl,
        cors: { enabled: true, allowed_origins: [spa.origin], allow_credentials: true },
      },
      admin: { base_url: opts.adminUrl },
    },
    selfservice: {
      allowed_return_urls: [spa.toString()],
      flows: { settings: { ui_url: spa.toString() } },
      // The example works offline: no breached-password look-ups against a remote API.
      methods: { password: { config: { haveibeenpwned_enabled: false } } },
    },
    ...(opts.hashers ? { hashers: opts.hashers } : {}),
  };
}

export async function startExampleTessera(options: ExampleTesseraOptions): Promise<ExampleTessera> {
  const config = loadConfig({
    env: options.env ?? {},
    overrides: exampleConfig({
      spaUrl: options.spaUrl,
      publicUrl: options.public.url,
      adminUrl: options.admin.url,
      dsn: options.dsn,
      ...(options.hashers ? { hashers: options.hashers } : {}),
    }),
  });
  const store = await openStore(config.dsn);
  await store.migrate();
  const app = await createApp(config, store, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  options.public.bind(app.public);
  options.admin.bind(app.admin);
  return {
    app,
    store,
    publicUrl: options.public.url,
    adminUrl: options.admin.url,
    async close() {
      await Promise.all([options.public.close(), options.admin.close()]);
      await store.close();
    },
  };
}
