import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { identityRow, sessionRow } from "../../db/mapping.ts";
import { asParams } from "../../db/placeholders.ts";
import { direct } from "../../db/sqlite/direct.ts";
import * as schema from "../../db/sqlite/schema.ts";
import { prepareStatements } from "../../db/sqlite/statements.ts";
import { flow, identity, session } from "./fixtures.ts";

const migrationsFolder = fileURLToPath(new URL("../../db/migrations/sqlite", import.meta.url));

function database() {
  const db = drizzle({ client: new Database(":memory:"), schema });
  migrate(db, { migrationsFolder });
  return db;
}

/** The same query prepared twice: one left to drizzle, one run by `direct`. */
function both<T>(prepare: () => T): { drizzle: T; direct: T } {
  return { drizzle: prepare(), direct: direct(prepare()) };
}

describe("direct statements (drizzle's SQL, run without its per-call work)", () => {
  it("bind through the columns' encoders and decode rows as drizzle does, nulls and JSON included", () => {
    const db = database();
    const statements = prepareStatements(db);
    const owner = identity();
    statements.insertIdentity.run(asParams(identityRow({ ...owner, version: 0 })));
    const stored = session(owner.id);
    statements.insertSession.run(sessionRow(stored));
    const byId = both(() =>
      db
        .select()
        .from(schema.sessions)
        .where(eq(schema.sessions.id, sql.placeholder("id")))
        .prepare(),
    );
    const read = byId.direct.get({ id: stored.id });
    assert.deepEqual(read, byId.drizzle.get({ id: stored.id }));
    assert.equal((read as { expiresAt: unknown }).expiresAt instanceof Date, true);
    assert.equal(byId.direct.get({ id: "missing" }), undefined);
    assert.deepEqual(byId.direct.all({ id: stored.id }), byId.drizzle.all({ id: stored.id }));

    const written = flow({ identityId: owner.id });
    statements.insertFlow.run(asParams(written));
    const flowRead = statements.flowById.get({ id: written.id });
    assert.deepEqual(flowRead, written);
    assert.equal((flowRead as { returnTo: unknown }).returnTo, null);
  });

  it("are what the store's statements run on", () => {
    const statements = prepareStatements(database());
    for (const name of ["updateIdentity", "insertSecurityEvent", "updateFlow", "flowById"] as const) {
      const statement = statements[name];
      assert.notEqual(statement.run, Object.getPrototypeOf(statement).run, name);
    }
    assert.notEqual(statements.flowById.get, Object.getPrototypeOf(statements.flowById).get);
  });

  it("keep drizzle's refusal of a missing value instead of binding NULL", () => {
    const statements = prepareStatements(database());
    assert.throws(() => statements.sessionById.get({}), /No value for placeholder "id"/);
    assert.throws(() => statements.transitionFlow.run({ id: "x", from: "a" }), /No value for placeholder/);
  });

  it("leave a nested selection (a join's two records) to drizzle's own decoding", () => {
    const db = database();
    const statements = prepareStatements(db);
    const owner = identity();
    statements.insertIdentity.run(asParams(identityRow({ ...owner, version: 0 })));
    const stored = session(owner.id);
    statements.insertSession.run(sessionRow(stored));
    const row = statements.sessionWithIdentityByToken.get({ token: stored.token });
    assert.equal(row?.session.id, stored.id);
    assert.equal(row?.identity.id, owner.id);
  });
});
