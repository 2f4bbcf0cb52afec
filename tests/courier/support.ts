/**
 * What the courier suites share: a test server whose courier points at a real loopback SMTP
 * server, dispatchers over the server's store and manual clock (tests call `drain()`, nothing
 * runs on a timer), and fresh PostgreSQL schemas for the multi-process scenarios.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import pg from "pg";
import type { CourierMessageRecord } from "../../db/store.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import type { OutgoingEmail } from "../../server/courier/courier.ts";
import { CourierDispatcher, type DispatcherOptions } from "../../server/courier/dispatcher.ts";
import { silentLogger } from "../../server/logger.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { type SmtpTestServer, startSmtpServer } from "../helpers/smtp.ts";

export type TestContext = { after(fn: () => Promise<void> | void): void };

export interface CourierTestServer extends TestServer {
  smtp: SmtpTestServer;
  /** A dispatcher on this server's store and clock, stopped when the test ends. */
  dispatcher(options?: Partial<DispatcherOptions>): CourierDispatcher;
  /** Queues a verification code mail through the flows' door (AppDeps.courier). */
  queue(to: string, email?: Partial<OutgoingEmail>): Promise<CourierMessageRecord>;
  /** GETs an admin path and parses the JSON answer. */
  admin(path: string): Promise<{ status: number; body: unknown; headers: Headers }>;
}

/** `courier` overrides are merged over the SMTP server's URI; `dev: true` shows subjects and bodies in the admin API. */
export async function courierServer(
  t: TestContext,
  overrides: ConfigInput = {},
  options: { dsn?: string; smtp?: SmtpTestServer } = {},
): Promise<CourierTestServer> {
  const smtp = options.smtp ?? (await startSmtpServer(t));
  const server = await startTestServer(
    {
      dev: true,
      ...overrides,
      courier: {
        ...overrides.courier,
        smtp: { connection_uri: smtp.connectionUri, ...overrides.courier?.smtp },
      },
    },
    options.dsn ? { dsn: options.dsn } : {},
  );
  t.after(() => server.close());
  return {
    ...server,
    smtp,
    dispatcher(extra = {}) {
      const dispatcher = new CourierDispatcher({
        store: server.store,
        clock: server.clock,
        logger: silentLogger,
        courier: server.app.deps.config.raw.courier,
        ...extra,
      });
      t.after(() => dispatcher.stop());
      return dispatcher;
    },
    queue(to, email = {}) {
      return server.app.deps.courier.queueEmail({
        template: "verification_code.valid",
        to,
        model: {
          To: to,
          VerificationCode: "123456",
          VerificationURL: "https://example.org/verify?code=123456&flow=f",
          ExpiresInMinutes: 60,
          Identity: { traits: { email: to } },
        },
        ...email,
      });
    },
    async admin(path) {
      const response = await fetch(new URL(path, server.adminUrl));
      const text = await response.text();
      return {
        status: response.status,
        body: text ? JSON.parse(text) : undefined,
        headers: response.headers,
      };
    },
  };
}

const databaseUrl = process.env.TEST_DATABASE_URL;

/**
 * Registers a PostgreSQL test: runs when TEST_DATABASE_URL is set, fails in CI without it, and is
 * skipped (visibly) otherwise, like the other PostgreSQL suites.
 */
export function postgresTest(
  name: string,
  body: (t: TestContext, dsn: () => Promise<string>) => Promise<void>,
) {
  if (databaseUrl) {
    test(name, (t) => body(t, () => freshSchema(t, databaseUrl)));
  } else if (process.env.CI) {
    test(name, () => assert.fail("TEST_DATABASE_URL is not set: CI must run the PostgreSQL courier tests"));
  } else {
    test(name, { skip: "TEST_DATABASE_URL not set" }, () => {});
  }
}

/** A DSN on a schema of its own, dropped when the test ends. */
async function freshSchema(t: TestContext, url: string): Promise<string> {
  const schema = `t_${randomBytes(8).toString("hex")}`;
  await withAdmin(url, (admin) => admin.query(`create schema "${schema}"`));
  t.after(() => withAdmin(url, (admin) => admin.query(`drop schema "${schema}" cascade`)).then(() => {}));
  const dsn = new URL(url);
  dsn.searchParams.set("search_path", schema);
  return dsn.toString();
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
