import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startSmtpServer } from "../helpers/smtp.ts";
import { courierServer, postgresTest, type TestContext } from "./support.ts";

/**
 * Several server processes on one database: each runs its own dispatcher (own store, own
 * connection pool) and they drain the same queue at the same time. Every message must leave
 * exactly once: the store's claim (FOR UPDATE SKIP LOCKED on PostgreSQL, one UPDATE … RETURNING
 * on SQLite) hands each message to one dispatcher only.
 */

const MESSAGES = 24;

async function twoServersDrainOneQueue(t: TestContext, dsn: string): Promise<void> {
  const smtp = await startSmtpServer(t);
  const overrides = { courier: { worker: { pull_count: 3 } } };
  const one = await courierServer(t, overrides, { dsn, smtp });
  const two = await courierServer(t, overrides, { dsn, smtp });
  const ids: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    ids.push((await (i % 2 ? one : two).queue(`r${i}@example.org`)).id);
  }

  // Four dispatchers (two per process) race for the same 24 messages.
  const results = await Promise.all([
    one.dispatcher().drain(),
    two.dispatcher().drain(),
    one.dispatcher().drain(),
    two.dispatcher().drain(),
  ]);
  assert.equal(
    results.reduce((sum, r) => sum + r.sent, 0),
    MESSAGES,
    JSON.stringify(results),
  );
  assert.ok(results.every((r) => r.retried === 0 && r.abandoned === 0));

  assert.equal(smtp.mails.length, MESSAGES, "no message was sent twice");
  for (let i = 0; i < MESSAGES; i++) assert.equal(smtp.mailsTo(`r${i}@example.org`).length, 1, `r${i}`);
  for (const id of ids) {
    const stored = await one.store.getMessage(id);
    assert.equal(stored?.status, "sent");
    assert.equal(stored?.sendCount, 1, "claimed once");
    assert.equal((await one.store.listDispatches(id)).length, 1);
  }
}

async function concurrentClaimsAreDisjoint(t: TestContext, dsn: string): Promise<void> {
  const one = await courierServer(t, {}, { dsn });
  const two = await courierServer(t, {}, { dsn });
  for (let i = 0; i < 40; i++) await one.queue(`c${i}@example.org`);
  const now = one.clock.now();
  const claims = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? one : two).store.claimMessages({ now, limit: 3, stuckBefore: new Date(0) }),
    ),
  );
  const claimed = claims.flat().map((m) => m.id);
  assert.equal(new Set(claimed).size, claimed.length, "a message was claimed twice");
  assert.equal(claimed.length, 40);
}

function sqliteDsn(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-courier-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return `sqlite://${join(dir, "shared.sqlite")}`;
}

test("two server processes on one SQLite file never send a message twice", (t) =>
  twoServersDrainOneQueue(t, sqliteDsn(t)));

test("concurrent claims on one SQLite file are disjoint", (t) =>
  concurrentClaimsAreDisjoint(t, sqliteDsn(t)));

postgresTest("two server processes on one PostgreSQL database never send a message twice", async (t, dsn) =>
  twoServersDrainOneQueue(t, await dsn()),
);

postgresTest("concurrent claims on one PostgreSQL database are disjoint (SKIP LOCKED)", async (t, dsn) =>
  concurrentClaimsAreDisjoint(t, await dsn()),
);
