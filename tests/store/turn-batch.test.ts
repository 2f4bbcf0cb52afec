import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { byPosition, TurnBatch } from "../../db/pg/turn-batch.ts";

describe("turn batch (PostgreSQL lookups)", () => {
  test("lookups asked for in one turn go in one call, in the order asked, and each gets its own answer", async () => {
    const calls: string[][] = [];
    const batch = new TurnBatch<string, string>(async (keys) => {
      calls.push([...keys]);
      return keys.map((k) => k.toUpperCase());
    });
    const answers = await Promise.all([batch.get("a"), batch.get("b"), batch.get("a")]);
    assert.deepEqual(answers, ["A", "B", "A"]);
    assert.deepEqual(calls, [["a", "b", "a"]]);
    assert.equal(await batch.get("c"), "C");
    assert.deepEqual(calls, [["a", "b", "a"], ["c"]], "a later turn is a new call");
  });

  test("lookups asked for while a call is under way go into the next one", async () => {
    const calls: number[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batch = new TurnBatch<number, number>(async (keys) => {
      calls.push([...keys]);
      if (calls.length === 1) await held;
      return keys.map((k) => k * 10);
    });
    const first = batch.get(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batch.get(2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, [[1], [2]]);
    release();
    assert.deepEqual(await Promise.all([first, second]), [10, 20]);
  });

  test("a failed call rejects every lookup in it, and the next turn's lookups still run", async () => {
    let fail = true;
    const batch = new TurnBatch<string, string>(async (keys) => {
      if (fail) throw new Error("connection lost");
      return [...keys];
    });
    const results = await Promise.allSettled([batch.get("a"), batch.get("b")]);
    assert.deepEqual(
      results.map((r) => r.status === "rejected" && (r.reason as Error).message),
      ["connection lost", "connection lost"],
    );
    fail = false;
    assert.equal(await batch.get("c"), "c");
  });

  test("rows come back in key order by their ordinality; keys without a row answer undefined", () => {
    const rows = [
      { n: "3", v: "c" },
      { n: "1", v: "a" },
    ];
    assert.deepEqual(byPosition(rows, 4), [{ n: "1", v: "a" }, undefined, { n: "3", v: "c" }, undefined]);
  });
});
