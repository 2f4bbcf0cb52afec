import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { openStore, parseStoreDsn } from "../db/open.ts";
import { runStoreContract } from "./store/contract.ts";

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
      const { readFileSync } = await import("node:fs");
      const header = readFileSync(file).subarray(18, 20);
      assert.deepEqual([...header], [2, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
