import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pg from "pg";
import { openStore } from "../../db/open.ts";
import type { Store } from "../../db/store.ts";
import { cleanupExpired } from "../../server/ops/cleanup.ts";
import { at, continuity, flow, identity, session } from "../store/fixtures.ts";

/** The cleanup half of the store (deleteExpired, migrationStatus) on SQLite and PostgreSQL. */

type Opened = { store: Store; dispose: () => Promise<void> };

async function sqlite(): Promise<Opened> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-cleanup-"));
  const store = await openStore(`sqlite://${join(dir, "db.sqlite")}`);
  return { store, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function withAdmin<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function postgres(url: string): Promise<Opened> {
  const schema = `cleanup_${randomBytes(6).toString("hex")}`;
  await withAdmin(url, (c) => c.query(`create schema "${schema}"`));
  const dsn = new URL(url);
  dsn.searchParams.set("search_path", schema);
  const store = await openStore(dsn.toString());
  return {
    store,
    dispose: () => withAdmin(url, (c) => c.query(`drop schema "${schema}" cascade`)).then(() => {}),
  };
}

const HOUR = 3_600_000;

function suite(name: string, open: () => Promise<Opened>) {
  test(`${name}: migration status lists every migration, pending before migrate and applied after`, async () => {
    const { store, dispose } = await open();
    try {
      const before = await store.migrationStatus();
      assert.ok(before.length >= 2);
      assert.ok(before.every((m) => !m.applied));
      assert.equal(before[0]!.name, "0000_init");
      await store.migrate();
      const after = await store.migrationStatus();
      assert.deepEqual(
        after.map((m) => m.name),
        before.map((m) => m.name),
      );
      assert.ok(after.every((m) => m.applied));
    } finally {
      await store.close();
      await dispose();
    }
  });

  test(`${name}: deleteExpired removes only what expired by the cutoff, oldest first, at most the batch`, async () => {
    const { store, dispose } = await open();
    try {
      await store.migrate();
      const person = await store.createIdentity(identity());
      const now = at(10 * HOUR);
      const expiredFlows = [3, 1, 2].map((h) => flow({ expiresAt: at(h * HOUR) }));
      const liveFlow = flow({ expiresAt: at(11 * HOUR) });
      for (const f of [...expiredFlows, liveFlow]) await store.createFlow(f);
      const expiredSession = session(person.id, { expiresAt: at(HOUR) });
      const liveSession = session(person.id, { expiresAt: at(20 * HOUR) });
      await store.createSession(expiredSession);
      await store.createSession(liveSession);
      const expiredContinuity = continuity({ expiresAt: at(HOUR) });
      const liveContinuity = continuity({ expiresAt: at(12 * HOUR) });
      await store.saveContinuity(expiredContinuity);
      await store.saveContinuity(liveContinuity);

      // A batch of two takes the two oldest expired flows (1h and 2h), leaving the 3h one.
      assert.equal(await store.deleteExpired("flows", now, 2), 2);
      assert.ok(await store.getFlow(expiredFlows[0]!.id), "the newest expired flow waits for the next batch");
      assert.equal(await store.getFlow(expiredFlows[1]!.id), undefined);
      assert.equal(await store.deleteExpired("flows", now, 2), 1);
      assert.equal(await store.deleteExpired("flows", now, 2), 0);
      assert.ok(await store.getFlow(liveFlow.id));

      assert.equal(await store.deleteExpired("sessions", now, 100), 1);
      assert.equal(await store.getSession(expiredSession.id), undefined);
      assert.ok(await store.getSession(liveSession.id));
      assert.ok(await store.getIdentity(person.id), "the identity stays");

      assert.equal(await store.deleteExpired("continuity", now, 100), 1);
      assert.equal(await store.getContinuity(expiredContinuity.id), undefined);
      assert.ok(await store.getContinuity(liveContinuity.id));
    } finally {
      await store.close();
      await dispose();
    }
  });

  test(`${name}: a cleanup run empties every table in batches and keeps what expired within older_than`, async () => {
    const { store, dispose } = await open();
    try {
      await store.migrate();
      const person = await store.createIdentity(identity());
      // Seven flows expired long ago, one expired 30 minutes before "now".
      for (let i = 0; i < 7; i++) await store.createFlow(flow({ expiresAt: at(i * 1000) }));
      const recent = flow({ expiresAt: at(10 * HOUR - HOUR / 2) });
      await store.createFlow(recent);
      await store.createSession(session(person.id, { expiresAt: at(0) }));
      const batches: string[] = [];
      const report = await cleanupExpired(store, {
        now: at(10 * HOUR),
        olderThanMs: HOUR,
        batchSize: 3,
        sleepBetweenTablesMs: 60_000,
        sleep: async () => {},
        onBatch: (kind, soFar) => batches.push(`${kind}:${soFar}`),
      });
      assert.deepEqual(report, { sessions: 1, continuity: 0, flows: 7 });
      assert.deepEqual(batches, ["sessions:1", "continuity:0", "flows:3", "flows:6", "flows:7"]);
      assert.ok(await store.getFlow(recent.id), "expired less than older_than ago: kept");
    } finally {
      await store.close();
      await dispose();
    }
  });
}

suite("sqlite", sqlite);

const databaseUrl = process.env.TEST_DATABASE_URL;
if (databaseUrl) suite("postgres", () => postgres(databaseUrl));
else if (process.env.CI)
  test("postgres cleanup", () =>
    assert.fail("TEST_DATABASE_URL is not set: CI must run the PostgreSQL tests"));
else test("postgres cleanup", { skip: "TEST_DATABASE_URL not set" }, () => {});
