import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../db/open.ts";
import type { Store } from "../../db/store.ts";
import { type App, type AppOptions, createApp } from "../../server/app.ts";
import { ManualClock } from "../../server/clock.ts";
import { testConfig } from "../../server/config/load.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import { listen } from "../../server/listen.ts";
import { type Logger, silentLogger } from "../../server/logger.ts";

export interface TestServer {
  app: App;
  store: Store;
  clock: ManualClock;
  /** Public base URL with a trailing slash, e.g. http://127.0.0.1:40123/ */
  publicUrl: string;
  adminUrl: string;
  close(): Promise<void>;
}

/** Test-speed password hashing; production defaults are far more expensive on purpose. */
const FAST_HASHERS: ConfigInput["hashers"] = {
  algorithm: "argon2",
  argon2: { memory: "8MB", iterations: 1, parallelism: 1 },
  bcrypt: { cost: 4 },
};

/**
 * Starts the public and admin listeners on free ports with a fresh SQLite file (or the database in
 * TEST_DATABASE_URL when `postgres` is set), a manual clock and the given config overrides.
 */
export async function startTestServer(
  overrides: ConfigInput = {},
  options: { fetch?: typeof fetch; dsn?: string; logger?: Logger; methods?: AppOptions["methods"] } = {},
): Promise<TestServer> {
  const logger = options.logger ?? silentLogger;
  const [pub, adm] = await Promise.all([listen("127.0.0.1", 0, logger), listen("127.0.0.1", 0, logger)]);
  const dir = mkdtempSync(join(tmpdir(), "tessera-test-"));
  let store: Store | undefined;
  // A server that fails to start (a bad config or schema, on purpose in some tests) must not leave
  // its listeners open: the test process would never exit.
  try {
    const dsn = options.dsn ?? `sqlite://${join(dir, "db.sqlite")}`;
    const config = testConfig({
      dsn,
      hashers: FAST_HASHERS,
      // One cookie secret for every test server, as servers sharing a database share their config:
      // a session cookie sealed by one opens on the next.
      secrets: { cookie: ["tessera-test-cookie-secret-0123456789abcdef"] },
      ...overrides,
      serve: {
        public: { ...overrides.serve?.public, base_url: pub.url },
        admin: { ...overrides.serve?.admin, base_url: adm.url },
      },
      selfservice: {
        ...overrides.selfservice,
        methods: {
          ...overrides.selfservice?.methods,
          password: {
            ...overrides.selfservice?.methods?.password,
            config: {
              haveibeenpwned_enabled: false,
              ...overrides.selfservice?.methods?.password?.config,
            },
          },
        },
      },
    });
    store = await openStore(config.dsn);
    await store.migrate();
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
    const app = await createApp(config, store, {
      clock,
      logger,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.methods ? { methods: options.methods } : {}),
    });
    pub.bind(app.public);
    adm.bind(app.admin);
    const opened = store;
    return {
      app,
      store: opened,
      clock,
      publicUrl: pub.url,
      adminUrl: adm.url,
      async close() {
        await Promise.all([pub.close(), adm.close()]);
        await opened.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all([pub.close(), adm.close()]);
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A test server that closes itself when the test ends. */
export async function serverFor(
  t: { after(fn: () => Promise<void> | void): void },
  overrides: ConfigInput = {},
): Promise<TestServer> {
  const s = await startTestServer(overrides);
  t.after(() => s.close());
  return s;
}
