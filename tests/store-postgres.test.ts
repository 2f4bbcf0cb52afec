import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import pg from "pg";
import { openStore } from "../db/open.ts";
import { runStoreContract } from "./store/contract.ts";

const databaseUrl = process.env.TEST_DATABASE_URL;

test("PostgreSQL migrations do not pin the public schema", () => {
  // drizzle-kit writes foreign keys as REFERENCES "public"."identities"; that would tie every
  // search_path to public. After `npm run db:generate`: sed -i 's/"public"\.//g' db/migrations/pg/*.sql
  const folder = new URL("../db/migrations/pg/", import.meta.url);
  for (const file of readdirSync(folder).filter((name) => name.endsWith(".sql"))) {
    assert.doesNotMatch(readFileSync(new URL(file, folder), "utf8"), /"public"\./, file);
  }
});

if (databaseUrl === undefined || databaseUrl === "") {
  if (process.env.CI) {
    test("postgres store", () => {
      assert.fail("TEST_DATABASE_URL is not set: CI must run the PostgreSQL store tests, not skip them");
    });
  } else {
    test("postgres store", { skip: "TEST_DATABASE_URL not set" }, () => {});
  }
} else {
  const url = databaseUrl;

  /** A store on a schema of its own, dropped again by `cleanup`. */
  async function openInFreshSchema() {
    const schema = `t_${randomBytes(8).toString("hex")}`;
    await withAdmin(url, (admin) => admin.query(`create schema "${schema}"`));
    const dsn = new URL(url);
    dsn.searchParams.set("search_path", schema);
    const store = await openStore(dsn.toString());
    const cleanup = () => withAdmin(url, (admin) => admin.query(`drop schema "${schema}" cascade`));
    return {
      store,
      schema,
      cleanup: async () => void (await cleanup()),
      openAnother: () => openStore(dsn.toString()),
    };
  }

  runStoreContract("postgres", openInFreshSchema, { secondProcess: true });

  test("migrations land in the search_path schema, with their own bookkeeping", async () => {
    const { store, schema, cleanup } = await openInFreshSchema();
    try {
      await store.migrate();
      const tables = await withAdmin(url, (admin) =>
        admin.query<{ table_name: string }>(
          "select table_name from information_schema.tables where table_schema = $1",
          [schema],
        ),
      );
      const names = tables.rows.map((row) => row.table_name);
      assert.ok(names.includes("identities"));
      assert.ok(names.includes("__drizzle_migrations"));
    } finally {
      await store.close();
      await cleanup();
    }
  });
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
