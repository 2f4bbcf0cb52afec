import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { GroupCommit } from "../../db/sqlite/group-commit.ts";
import { TurnReads } from "../../db/sqlite/turn-reads.ts";

/** A file database with a table of names, and a second connection to look at it from outside. */
function open() {
  const file = join(mkdtempSync(join(tmpdir(), "tessera-group-")), "db.sqlite");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec(`create table names (name text primary key);
    create table parents (id integer primary key);
    create table children (parent integer references parents(id) deferrable initially deferred)`);
  db.pragma("foreign_keys = ON");
  const outside = new Database(file, { readonly: true });
  const insert = db.prepare("insert into names (name) values (?)");
  const seenOutside = () =>
    (outside.prepare("select name from names order by name").all() as { name: string }[]).map((r) => r.name);
  const names = db.prepare("select name from names order by name");
  return {
    db,
    file,
    writes: new GroupCommit(db),
    reads: new TurnReads(db),
    add: (name: string) => insert.run(name).changes,
    seenOutside,
    seenInside: () => (names.all() as { name: string }[]).map((r) => r.name),
  };
}

describe("group commit (SQLite)", () => {
  test("writes asked for in one turn share one transaction, in the order asked, committed before any caller hears", async () => {
    const { db, writes, add, seenOutside } = open();
    const during: unknown[] = [];
    const first = writes.run(() => add("a"));
    const second = writes.run(() => {
      // The first write is in this transaction: visible here, not yet to another connection.
      during.push(db.inTransaction, db.prepare("select count(*) as n from names").get(), seenOutside());
      return add("b");
    });
    assert.deepEqual(seenOutside(), [], "nothing runs before the end of the turn");
    assert.deepEqual(await Promise.all([first, second]), [1, 1]);
    assert.deepEqual(during, [true, { n: 1 }, []]);
    assert.deepEqual(seenOutside(), ["a", "b"]);
  });

  test("a write that throws rolls back only itself and rejects only its caller", async () => {
    const { writes, add, seenOutside } = open();
    const results = await Promise.allSettled([
      writes.run(() => add("a")),
      writes.run(() => {
        add("b");
        throw new Error("refused");
      }),
      writes.run(() => add("a")), // a duplicate of the first one's row: a constraint error
      writes.run(() => add("c")),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "rejected", "fulfilled"],
    );
    assert.equal((results[1] as PromiseRejectedResult).reason.message, "refused");
    assert.equal((results[2] as PromiseRejectedResult).reason.code, "SQLITE_CONSTRAINT_PRIMARYKEY");
    assert.deepEqual(seenOutside(), ["a", "c"]);
  });

  test("a write alone in its turn that throws writes nothing", async () => {
    const { writes, add, seenOutside } = open();
    await assert.rejects(
      writes.run(() => {
        add("a");
        throw new Error("refused");
      }),
      /refused/,
    );
    assert.deepEqual(seenOutside(), []);
    assert.equal(await writes.run(() => add("b")), 1);
    assert.deepEqual(seenOutside(), ["b"]);
  });

  test("a transaction that fails to commit rejects every caller in it, and none of their writes happened", async () => {
    const { db, writes, add, seenOutside } = open();
    let committed = 0;
    const results = await Promise.allSettled([
      writes.run(
        () => add("a"),
        () => committed++,
      ),
      // A deferred foreign key is checked at COMMIT: this row makes the whole commit fail.
      writes.run(() => db.prepare("insert into children (parent) values (42)").run()),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["rejected", "rejected"],
    );
    assert.equal(committed, 0);
    assert.deepEqual(seenOutside(), []);
    assert.equal(db.inTransaction, false);
    assert.equal(await writes.run(() => add("b")), 1, "the next turn's writes commit");
  });

  test("each write's `committed` runs after the commit and before its caller resumes", async () => {
    const { writes, add, seenOutside } = open();
    const order: string[] = [];
    await Promise.all([
      writes
        .run(
          () => add("a"),
          () => order.push(`committed a, outside sees ${seenOutside().join("")}`),
        )
        .then(() => order.push("caller a")),
      writes
        .run(
          () => add("b"),
          () => order.push(`committed b, outside sees ${seenOutside().join("")}`),
        )
        .then(() => order.push("caller b")),
    ]);
    assert.deepEqual(order, [
      "committed a, outside sees ab",
      "committed b, outside sees ab",
      "caller a",
      "caller b",
    ]);
  });

  test("writes asked for while a turn's batch commits go into the next one", async () => {
    const { writes, add, seenOutside } = open();
    const later: Promise<number>[] = [];
    const first = writes.run(() => {
      later.push(writes.run(() => add("b")));
      return add("a");
    });
    await first;
    assert.deepEqual(seenOutside(), ["a"]);
    assert.deepEqual(await Promise.all(later), [1]);
    assert.deepEqual(seenOutside(), ["a", "b"]);
  });
});

describe("turn reads (SQLite)", () => {
  test("reads asked for in one turn share one read transaction, and each gets its own answer", async () => {
    const { db, file, reads, add, seenInside } = open();
    add("a");
    const other = new Database(file);
    const answers = await Promise.all([
      reads.run(() => [db.inTransaction, seenInside()]),
      reads.run(() => {
        // Another connection commits between two reads of the batch: its snapshot does not move.
        other.prepare("insert into names (name) values ('b')").run();
        return seenInside();
      }),
      reads.run(() => seenInside()),
    ]);
    assert.deepEqual(answers, [[true, ["a"]], ["a"], ["a"]]);
    assert.deepEqual(await reads.run(() => seenInside()), ["a", "b"], "the next turn's reads see it");
    other.close();
  });

  test("a read that throws rejects only its caller", async () => {
    const { reads, add, seenInside } = open();
    add("a");
    const results = await Promise.allSettled([
      reads.run(() => seenInside()),
      reads.run(() => {
        throw new Error("no such thing");
      }),
      reads.run(() => seenInside().length),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)),
      [["a"], "no such thing", 1],
    );
  });

  test("a read asked for after a write was answered sees the write", async () => {
    const { writes, reads, add, seenInside } = open();
    await writes.run(() => add("a"));
    assert.deepEqual(await reads.run(() => seenInside()), ["a"]);
  });
});
