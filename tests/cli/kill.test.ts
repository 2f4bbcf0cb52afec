import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { openStore } from "../../db/open.ts";
import { startServe, tmp } from "./support.ts";

/**
 * Writes that commit together (db/sqlite/group-commit.ts) are answered only once they have
 * committed: a server killed with SIGKILL while writes are in flight has lost none it answered.
 */
test("SIGKILL while writes are in flight: every write the server answered is on disk", async (t) => {
  const dir = tmp(t);
  const { child, adminUrl: admin, exited } = await startServe(t, dir);

  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await fetch(new URL("admin/identities", admin), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ schema_id: "default", traits: { email: `kill-${i}@example.org` } }),
    });
    assert.equal(res.status, 201);
    ids.push(((await res.json()) as { id: string }).id);
  }

  // Each identity is written over and over, one write at a time; all identities at once, so
  // writes from different requests share commits. The kill comes after 300 answered writes.
  const answered = new Map<string, number>();
  let total = 0;
  let killed = false;
  const writer = async (id: string) => {
    for (let n = 1; !killed; n++) {
      try {
        const res = await fetch(new URL(`admin/identities/${id}`, admin), {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([{ op: "replace", path: "/metadata_public", value: { n } }]),
        });
        if (res.status !== 200) throw new Error(`PATCH answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      } catch (error) {
        if (killed) return;
        throw error;
      }
      answered.set(id, n);
      if (++total === 300) {
        killed = true;
        child.kill("SIGKILL");
      }
    }
  };
  await Promise.all(ids.map(writer));
  await exited;
  assert.equal(child.signalCode, "SIGKILL");

  const store = await openStore(`sqlite://${join(dir, "db.sqlite")}`);
  try {
    for (const id of ids) {
      const stored = (await store.getIdentity(id))?.metadataPublic as { n: number } | null | undefined;
      // A write may have committed without its answer arriving; none answered may be missing.
      assert.ok((stored?.n ?? 0) >= (answered.get(id) ?? 0), `${id}: ${stored?.n} < ${answered.get(id)}`);
    }
    assert.ok(total >= 300);
  } finally {
    await store.close();
  }
});
