import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { openStore, parseStoreDsn } from "../db/open.ts";
import { runStoreContract } from "./store/contract.ts";
import { flow, identity, session } from "./store/fixtures.ts";

runStoreContract(
  "sqlite file",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-store-"));
    // A missing parent folder, and Kratos's query parameters, as in a real config.
    const dsn = `sqlite://${join(dir, "data", "db.sqlite")}?_fk=true&mode=rwc`;
    const store = await openStore(dsn);
    return {
      store,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      openAnother: () => openStore(dsn),
    };
  },
  { secondProcess: true },
);

runStoreContract("sqlite memory", async () => ({
  store: await openStore("memory"),
  cleanup: async () => {},
}));

describe("store DSNs", () => {
  test("SQLite forms", () => {
    assert.deepEqual(parseStoreDsn("memory"), { dialect: "sqlite", filename: ":memory:" });
    assert.deepEqual(parseStoreDsn("sqlite::memory:"), { dialect: "sqlite", filename: ":memory:" });
    assert.deepEqual(parseStoreDsn("sqlite://file::memory:?cache=shared"), {
      dialect: "sqlite",
      filename: ":memory:",
    });
    assert.deepEqual(parseStoreDsn("sqlite://./data/x.sqlite?_fk=true&mode=rwc"), {
      dialect: "sqlite",
      filename: resolve(process.cwd(), "data/x.sqlite"),
    });
    assert.deepEqual(parseStoreDsn("sqlite:///var/lib/kratos/db.sqlite?_fk=true"), {
      dialect: "sqlite",
      filename: "/var/lib/kratos/db.sqlite",
    });
  });

  test("PostgreSQL forms take search_path and max_conns out of the URL", () => {
    assert.deepEqual(
      parseStoreDsn("postgres://u:p@db:5432/kratos?sslmode=disable&search_path=t1&max_conns=4"),
      {
        dialect: "postgres",
        connectionString: "postgres://u:p@db:5432/kratos?sslmode=disable",
        searchPath: "t1",
        maxConnections: 4,
      },
    );
    assert.deepEqual(parseStoreDsn("postgresql://db/kratos"), {
      dialect: "postgres",
      connectionString: "postgresql://db/kratos",
    });
  });

  test("unknown schemes are refused without echoing credentials", () => {
    assert.throws(
      () => parseStoreDsn("mysql://root:secret@db/kratos"),
      (error: Error) => {
        assert.match(error.message, /Unsupported database DSN scheme "mysql"/);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      },
    );
    assert.throws(() => parseStoreDsn("./db.sqlite"), /Unsupported database DSN/);
    assert.throws(() => parseStoreDsn("sqlite://"), /without a path/);
  });

  test("a file store creates its folder and uses WAL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-store-"));
    try {
      const file = join(dir, "a", "b", "db.sqlite");
      const store = await openStore(`sqlite://${file}`);
      await store.migrate();
      assert.equal(await store.ping(), true);
      await store.close();
      assert.ok(existsSync(file));
      // WAL leaves its mark on the file header (bytes 18-19 are 2 in WAL mode).
      const header = readFileSync(file).subarray(18, 20);
      assert.deepEqual([...header], [2, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The WAL frames written since `from` (a byte offset): each frame is a 24-byte header and a page;
 * a commit's last frame carries the database size in its header's second word.
 */
function walFrames(file: string, from: number): { pages: number; commits: number; end: number } {
  const wal = readFileSync(`${file}-wal`);
  const pageSize = wal.readUInt32BE(8);
  let pages = 0;
  let commits = 0;
  for (let at = Math.max(from, 32); at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    pages++;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return { pages, commits, end: wal.length };
}

describe("SQLite writes", () => {
  test("identity writes asked for together commit together; a settings write writes only the pages it changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tessera-store-"));
    const file = join(dir, "db.sqlite");
    const store = await openStore(`sqlite://${file}`);
    try {
      await store.migrate();
      const people = await Promise.all([1, 2, 3].map(() => store.createIdentity(identity())));
      const flows = people.map((p) => flow({ kind: "settings", identityId: p.id }));
      for (const f of flows) await store.createFlow(f);
      await Promise.all(people.map((p) => store.createSession(session(p.id))));
      // A profile update: the traits and the flow's new state; the identity's external id and the
      // flow's owner stay as they are, so their indexes are not written.
      const profileUpdate = (i: number) =>
        store.mutateIdentity(people[i]!.id, (current) => ({
          identity: { ...current, traits: { ...current.traits, n: i } },
          value: undefined,
          flow: () => ({ ...flows[i]!, state: "success" }),
        }));
      const before = walFrames(file, 0).end;
      await profileUpdate(0);
      const alone = walFrames(file, before);
      assert.deepEqual({ pages: alone.pages, commits: alone.commits }, { pages: 2, commits: 1 });

      const together = await Promise.all([profileUpdate(1), profileUpdate(2), profileUpdate(0)]);
      assert.deepEqual(
        together.map((r) => r.kind === "done" && r.identity.version),
        [1, 1, 2],
      );
      assert.equal(walFrames(file, alone.end).commits, 1);
      for (const [i, p] of people.entries()) {
        assert.deepEqual((await store.getIdentity(p.id))?.traits.n, i);
        assert.equal((await store.getFlow(flows[i]!.id))?.state, "success");
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
