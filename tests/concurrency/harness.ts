/**
 * What the concurrency suites share: a server on SQLite or on a fresh PostgreSQL schema, with a
 * password hasher and a store the test can hold at a chosen point (no sleeps), and the API-flow
 * calls the scenarios are made of (native style: JSON bodies, session tokens).
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pg from "pg";
import { openStore } from "../../db/open.ts";
import type { Store } from "../../db/store.ts";
import { type App, createApp } from "../../server/app.ts";
import { ManualClock } from "../../server/clock.ts";
import { testConfig } from "../../server/config/load.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import { listen } from "../../server/listen.ts";
import { silentLogger } from "../../server/logger.ts";
import { createHasher, type PasswordHasher } from "../../server/methods/password/hasher.ts";

export const OLD_PASSWORD = "Tessera-correct-horse-7421";
export const NEW_PASSWORD = "Another-battery-staple-9183";

export type Json = Record<string, unknown>;

/** A promise with its resolve function, for handing control between a test and the server. */
export function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A real (fast) hasher whose next `count` hash() calls stop before hashing until released: the
 * request that called it has decided on the identity and holds its decision while the test runs
 * another write.
 */
export class GatedHasher implements PasswordHasher {
  readonly #inner = createHasher(
    testConfig({
      hashers: { algorithm: "argon2", argon2: { memory: "8MB", iterations: 1, parallelism: 1 } },
    }).hashers,
  );
  #held: { remaining: number; arrived: number; reached: () => void; released: Promise<void> } | undefined;

  get algorithm() {
    return this.#inner.algorithm;
  }
  get maxBytes() {
    return this.#inner.maxBytes;
  }

  /** Holds the next `count` hash calls; `reached` resolves once all of them arrived. */
  hold(count = 1): { reached: Promise<void>; release: () => void } {
    const reached = signal();
    const released = signal();
    this.#held = { remaining: count, arrived: 0, reached: reached.resolve, released: released.promise };
    return { reached: reached.promise, release: released.resolve };
  }

  async hash(password: string): Promise<string> {
    const held = this.#held;
    if (held && held.remaining > 0) {
      held.remaining--;
      held.arrived++;
      if (held.remaining === 0) {
        this.#held = undefined;
        held.reached();
      }
      await held.released;
    }
    return this.#inner.hash(password);
  }
  verify(password: string, storedHash: string) {
    return this.#inner.verify(password, storedHash);
  }
  needsRehash(storedHash: string) {
    return this.#inner.needsRehash(storedHash);
  }
  dummyVerify(password: string) {
    return this.#inner.dummyVerify(password);
  }
}

/**
 * The store, with a way to learn when a request has looked up its session (and so loaded the
 * identity it will decide on): the request then waits for its body, which the test holds.
 */
function observedStore(store: Store, lookups: Map<string, () => void>): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === "getSessionWithIdentityByToken") {
        return async (token: string) => {
          const found = await target.getSessionWithIdentityByToken(token);
          lookups.get(token)?.();
          return found;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export interface Server {
  app: App;
  store: Store;
  hasher: GatedHasher;
  publicUrl: string;
  adminUrl: string;
  /** Resolves when `count` requests with this session token have loaded their session and identity. */
  sessionLookedUp(token: string, count?: number): Promise<void>;
}

export type Backend = "sqlite" | "postgres";

const databaseUrl = process.env.TEST_DATABASE_URL;

/**
 * Registers `body` once per backend. PostgreSQL runs when TEST_DATABASE_URL is set; in CI a
 * missing URL is a failure, not a skip.
 */
export function onEachBackend(name: string, body: (backend: Backend, t: TestContext) => Promise<void>): void {
  test(`${name} (sqlite)`, (t) => body("sqlite", t));
  if (databaseUrl) {
    test(`${name} (postgres)`, (t) => body("postgres", t));
  } else if (process.env.CI) {
    test(`${name} (postgres)`, () => {
      assert.fail(
        "TEST_DATABASE_URL is not set: CI must run the PostgreSQL concurrency tests, not skip them",
      );
    });
  } else {
    test(`${name} (postgres)`, { skip: "TEST_DATABASE_URL not set" }, () => {});
  }
}

type TestContext = { after(fn: () => Promise<void> | void): void };

/** A server on its own database (a SQLite file, or a PostgreSQL schema dropped afterwards). */
export async function startServer(
  t: TestContext,
  backend: Backend,
  overrides: ConfigInput = {},
): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-concurrency-"));
  let dsn = `sqlite://${join(dir, "db.sqlite")}`;
  let dropSchema = async () => {};
  if (backend === "postgres") {
    const url = databaseUrl!;
    const schema = `t_${randomBytes(8).toString("hex")}`;
    await withAdmin(url, (admin) => admin.query(`create schema "${schema}"`));
    const withSchema = new URL(url);
    withSchema.searchParams.set("search_path", schema);
    dsn = withSchema.toString();
    dropSchema = async () =>
      void (await withAdmin(url, (admin) => admin.query(`drop schema "${schema}" cascade`)));
  }
  const [pub, adm] = await Promise.all([listen("127.0.0.1", 0), listen("127.0.0.1", 0)]);
  const config = testConfig({
    dsn,
    ...overrides,
    serve: { public: { base_url: pub.url }, admin: { base_url: adm.url } },
    selfservice: {
      ...overrides.selfservice,
      methods: { password: { config: { haveibeenpwned_enabled: false } } },
    },
  });
  const store = await openStore(config.dsn);
  await store.migrate();
  const lookups = new Map<string, () => void>();
  const hasher = new GatedHasher();
  const app = await createApp(config, observedStore(store, lookups), {
    clock: new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0)),
    logger: silentLogger,
    hasher,
  });
  pub.bind(app.public);
  adm.bind(app.admin);
  t.after(async () => {
    await Promise.all([pub.close(), adm.close()]);
    await store.close();
    await dropSchema();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    app,
    store,
    hasher,
    publicUrl: pub.url,
    adminUrl: adm.url,
    sessionLookedUp(token, count = 1) {
      const seen = signal();
      let remaining = count;
      lookups.set(token, () => {
        if (--remaining === 0) seen.resolve();
      });
      return seen.promise;
    },
  };
}

async function withAdmin<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; body: Json }> {
  const response = await fetch(new URL(path, base), {
    method,
    headers: {
      accept: "application/json",
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...(options.token ? { "x-session-token": options.token } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
}

export const uniqueEmail = (prefix = "user") => `${prefix}-${randomUUID()}@example.org`;

/** An identity created through the admin API, with a password. */
export async function createUser(s: Server, extra: Json = {}): Promise<{ id: string; email: string }> {
  const email = uniqueEmail();
  const created = await call(s.adminUrl, "POST", "admin/identities", {
    body: {
      schema_id: "default",
      traits: { email, name: { first: "Ada", last: "Lovelace" } },
      credentials: { password: { config: { password: OLD_PASSWORD } } },
      ...extra,
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return { id: created.body.id as string, email };
}

/** A native (API) login; answers the response of the submission. */
export async function submitLogin(s: Server, flowId: string, identifier: string, password: string) {
  return call(s.publicUrl, "POST", `self-service/login?flow=${flowId}`, {
    body: { method: "password", identifier, password },
  });
}

export async function apiFlow(s: Server, kind: "login" | "registration" | "settings", token?: string) {
  const created = await call(s.publicUrl, "GET", `self-service/${kind}/api`, token ? { token } : {});
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return created.body.id as string;
}

/** Signs in and answers the session token. */
export async function login(s: Server, email: string, password = OLD_PASSWORD): Promise<string> {
  const answer = await submitLogin(s, await apiFlow(s, "login"), email, password);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.session_token as string;
}

export async function canLogIn(s: Server, email: string, password: string): Promise<boolean> {
  return (await submitLogin(s, await apiFlow(s, "login"), email, password)).status === 200;
}

export async function submitSettings(s: Server, token: string, flowId: string, body: Json) {
  return call(s.publicUrl, "POST", `self-service/settings?flow=${flowId}`, { body, token });
}

export function messageIds(body: Json): number[] {
  const ui = body.ui as { messages?: { id: number }[] } | undefined;
  return (ui?.messages ?? []).map((m) => m.id);
}

/**
 * Starts a JSON POST whose body is held after its first bytes: the server has the headers (and
 * looks up the session) but waits for the rest until `finish()`.
 */
export function heldPost(
  url: URL,
  token: string,
  body: Json,
): { finish: () => void; answer: Promise<Response> } {
  const text = new TextEncoder().encode(JSON.stringify(body));
  let upload!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      upload = controller;
      controller.enqueue(text.slice(0, 10));
    },
  });
  const answer = fetch(url, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json", "x-session-token": token },
    body: stream,
    duplex: "half",
  } as RequestInit);
  return {
    answer,
    finish() {
      upload.enqueue(text.slice(10));
      upload.close();
    },
  };
}
