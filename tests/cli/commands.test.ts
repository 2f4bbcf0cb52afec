import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import bcrypt from "bcrypt";
import { parse as parseYaml } from "yaml";
import { openStore } from "../../db/open.ts";
import type { Store } from "../../db/store.ts";
import { testConfig } from "../../server/config/load.ts";
import { continuity, flow, identity, session } from "../store/fixtures.ts";
import { baseEnv, configFile, ROOT, tessera, tmp } from "./support.ts";

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

async function withStore<T>(dsnFile: string, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(`sqlite://${dsnFile}`);
  try {
    await store.migrate();
    return await work(store);
  } finally {
    await store.close();
  }
}

test("--help works on every command and `version` / --version print the version", async () => {
  const commands = [
    [],
    ["serve"],
    ["migrate"],
    ["cleanup"],
    ["identities"],
    ["identities", "import"],
    ["identities", "export"],
    ["hashers", "argon2", "calibrate"],
    ["version"],
  ];
  const results = await Promise.all(commands.map((c) => tessera([...c, "--help"])));
  for (const [i, r] of results.entries()) {
    const name = ["tessera", ...commands[i]!].join(" ");
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: ${name}`), name);
  }
  assert.match(
    results[0]!.stdout,
    /serve[\s\S]*migrate[\s\S]*cleanup[\s\S]*identities[\s\S]*hashers[\s\S]*version/,
  );
  for (const args of [["version"], ["--version"], ["-v"]]) {
    const r = await tessera(args);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), VERSION, args.join(" "));
  }
});

test("an unknown command or option fails with exit code 1 and says so", async () => {
  const r = await tessera(["frobnicate"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown command|too many arguments/i);
  const o = await tessera(["cleanup", "--no-such-flag"]);
  assert.notEqual(o.code, 0);
  assert.match(o.stderr, /unknown option '--no-such-flag'/);
});

test("migrate status lists pending migrations, migrate up applies them, status then says up to date", async (t) => {
  const dir = tmp(t);
  const config = configFile(dir);
  const before = await tessera(["migrate", "status", "--config", config]);
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /^pending\t0000_init$/m);
  assert.match(before.stdout, /migration\(s\) pending/);
  const up = await tessera(["migrate", "up", "-c", config]);
  assert.equal(up.code, 0, up.stderr);
  // Kratos's spelling still works (and is idempotent).
  const sql = await tessera(["migrate", "sql", "-e", "--yes", "-c", config]);
  assert.equal(sql.code, 0, sql.stderr);
  const after = await tessera(["migrate", "status", "-c", config]);
  assert.match(after.stdout, /^applied\t0000_init$/m);
  assert.doesNotMatch(after.stdout, /^pending/m);
  assert.match(after.stdout, /database is up to date/);
  const bad = await tessera(["migrate", "sideways", "-c", config]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown migrate action "sideways"/);
});

const person = (email: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ schema_id: "default", traits: { email, name: { first: "F", last: "L" } }, ...extra });

test("identities import creates the good lines, reports each bad line by number and imports the rest", async (t) => {
  const dir = tmp(t);
  const config = configFile(dir);
  const hash = bcrypt.hashSync("imported-Passw0rd!", 4);
  const file = join(dir, "people.jsonl");
  writeFileSync(
    file,
    [
      person("one@example.com", {
        credentials: { password: { config: { password: "Plain-text-Passw0rd!" } } },
      }),
      "{not json",
      "",
      JSON.stringify({ schema_id: "default", traits: { name: { first: "No", last: "Email" } } }),
      person("one@example.com"),
      person("two@example.com", {
        state: "inactive",
        metadata_public: { plan: "pro" },
        credentials: { password: { config: { hashed_password: hash } } },
      }),
      "",
    ].join("\n"),
  );
  const r = await tessera(["identities", "import", file, "-c", config]);
  assert.equal(r.code, 1, "a failed line makes the exit code 1");
  assert.equal(r.stdout.trim(), "created 2, skipped 1, failed 2");
  assert.match(r.stderr, /^line 2: failed: not JSON/m);
  assert.match(r.stderr, /^line 4: failed: .*email/m);
  assert.match(r.stderr, /^line 5: skipped: /m);
  assert.doesNotMatch(r.stderr, /^line (1|3|6):/m);

  await withStore(join(dir, "db.sqlite"), async (store) => {
    const { identities } = await store.listIdentities({ pageSize: 10 });
    assert.deepEqual(identities.map((i) => i.traits.email).sort(), ["one@example.com", "two@example.com"]);
    const two = identities.find((i) => i.traits.email === "two@example.com")!;
    assert.equal(two.state, "inactive");
    assert.deepEqual(two.metadataPublic, { plan: "pro" });
    assert.equal(two.credentials.find((c) => c.type === "password")?.config.hashed_password, hash);
  });
});

test("identities import reads stdin with -", async (t) => {
  const dir = tmp(t);
  const r = await tessera(["identities", "import", "-", "-c", configFile(dir)], {
    input: `${person("stdin@example.com")}\n`,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "created 1, skipped 0, failed 0");
});

test("identities export round-trips through import into another database", async (t) => {
  const dir = tmp(t);
  const source = configFile(dir, "source.sqlite");
  const input = join(dir, "in.jsonl");
  writeFileSync(
    input,
    [
      person("a@example.com", {
        metadata_admin: { note: "vip" },
        external_id: "ext-a",
        credentials: { password: { config: { password: "Round-trip-Passw0rd!" } } },
      }),
      person("b@example.com", {
        verifiable_addresses: [{ value: "b@example.com", via: "email", verified: true, status: "completed" }],
      }),
    ].join("\n"),
  );
  assert.equal((await tessera(["identities", "import", input, "-c", source])).code, 0);

  const exported = await tessera(["identities", "export", "-c", source]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /exported 2 identities/);
  const lines = exported.stdout.trim().split("\n");
  assert.equal(lines.length, 2);
  const a = JSON.parse(lines.find((l) => l.includes("a@example.com"))!);
  assert.match(a.credentials.password.config.hashed_password, /^\$argon2id\$/, "hashes are exported");
  assert.equal(a.external_id, "ext-a");

  const file = join(dir, "export.jsonl");
  assert.equal((await tessera(["identities", "export", file, "-c", source])).code, 0);
  const target = configFile(dir, "target.sqlite");
  const imported = await tessera(["identities", "import", file, "-c", target]);
  assert.equal(imported.stdout.trim(), "created 2, skipped 0, failed 0", imported.stderr);
  const again = await tessera(["identities", "export", "-c", target]);
  const sorted = (text: string) => text.trim().split("\n").sort();
  assert.deepEqual(sorted(again.stdout), sorted(exported.stdout), "the second export equals the first");
});

test("cleanup deletes only what has expired (and honours --older-than), in batches", async (t) => {
  const dir = tmp(t);
  const config = configFile(dir, "db.sqlite", [
    "database: { cleanup: { batch_size: 2, sleep: { tables: 0s } } }",
  ]);
  const file = join(dir, "db.sqlite");
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);
  const HOUR = 3_600_000;
  const ids = await withStore(file, async (store) => {
    const owner = await store.createIdentity(identity());
    const flows = {
      old: [
        flow({ expiresAt: ago(48 * HOUR) }),
        flow({ expiresAt: ago(30 * HOUR) }),
        flow({ expiresAt: ago(25 * HOUR) }),
      ],
      recent: flow({ expiresAt: ago(HOUR) }),
      live: flow({ expiresAt: ago(-HOUR) }),
    };
    for (const f of [...flows.old, flows.recent, flows.live]) await store.createFlow(f);
    const sessions = {
      old: session(owner.id, { expiresAt: ago(48 * HOUR) }),
      live: session(owner.id, { expiresAt: ago(-24 * HOUR) }),
    };
    await store.createSession(sessions.old);
    await store.createSession(sessions.live);
    const containers = {
      old: continuity({ expiresAt: ago(48 * HOUR) }),
      live: continuity({ expiresAt: ago(-HOUR) }),
    };
    await store.saveContinuity(containers.old);
    await store.saveContinuity(containers.live);
    return { flows, sessions, containers };
  });

  // Keep what expired within the last two hours: the recent flow survives this run.
  const first = await tessera(["cleanup", "--older-than", "2h", "-c", config]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.trim(), "deleted 1 sessions, 1 continuity containers, 3 flows");
  await withStore(file, async (store) => {
    for (const f of ids.flows.old) assert.equal(await store.getFlow(f.id), undefined);
    assert.ok(await store.getFlow(ids.flows.recent.id));
    assert.ok(await store.getFlow(ids.flows.live.id));
    assert.equal(await store.getSession(ids.sessions.old.id), undefined);
    assert.ok(await store.getSession(ids.sessions.live.id));
    assert.equal(await store.getContinuity(ids.containers.old.id), undefined);
    assert.ok(await store.getContinuity(ids.containers.live.id));
  });

  // Kratos's spelling, no window: the recent flow goes too; live records never do.
  const second = await tessera(["cleanup", "sql", "-e", "--keep-last", "0s", "-c", config]);
  assert.equal(second.stdout.trim(), "deleted 0 sessions, 0 continuity containers, 1 flows", second.stderr);
  await withStore(file, async (store) => {
    assert.equal(await store.getFlow(ids.flows.recent.id), undefined);
    assert.ok(await store.getFlow(ids.flows.live.id));
  });
  const bad = await tessera(["cleanup", "--older-than", "yesterday", "-c", config]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--older-than.*duration/);
});

test("hashers argon2 calibrate prints a hashers block the config accepts", async () => {
  const r = await tessera([
    "hashers",
    "argon2",
    "calibrate",
    "--expected-duration",
    "15ms",
    "--start-memory",
    "1MB",
    "--max-memory",
    "16MB",
    "--adjust-memory-by",
    "2MB",
    "--probe-runs",
    "1",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Settled on .* of memory/);
  assert.match(r.stderr, /Settled on \d+ iterations/);
  const parsed = parseYaml(r.stdout) as { hashers: { argon2: { memory: string; iterations: number } } };
  const config = testConfig({ hashers: parsed.hashers as never });
  assert.equal(config.hashers.algorithm, "argon2");
  assert.ok(config.hashers.argon2.iterations >= 1);
  assert.match(config.hashers.argon2.memory, /^\d+(MB|KB)$/);
});

test("serve runs the cleanup every database.cleanup.interval", async (t) => {
  const dir = tmp(t);
  const file = join(dir, "db.sqlite");
  const expired = flow({ expiresAt: new Date(Date.now() - 60_000) });
  const live = flow({ expiresAt: new Date(Date.now() + 3_600_000) });
  await withStore(file, async (store) => {
    await store.createFlow(expired);
    await store.createFlow(live);
  });
  const config = configFile(
    dir,
    "db.sqlite",
    [
      "serve: { public: { port: 0 }, admin: { port: 0 } }",
      "secrets: { cookie: [a-very-long-cookie-secret-for-tests-only] }",
      "database: { cleanup: { interval: 50ms, sleep: { tables: 0s } } }",
    ],
    "info",
  );
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", "serve", "-c", config], {
    cwd: ROOT,
    env: baseEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let stderr = "";
  const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
  await new Promise<void>((ok, fail) => {
    child.stderr!.on("data", (d) => {
      stderr += d;
      if (/"flows":1,"msg":"cleanup finished"/.test(stderr)) ok();
    });
    exited.then(() => fail(new Error(`exited before a cleanup:\n${stderr}`)));
  });
  child.kill("SIGTERM");
  assert.equal(await exited, 0, stderr);
  await withStore(file, async (store) => {
    assert.equal(await store.getFlow(expired.id), undefined);
    assert.ok(await store.getFlow(live.id));
  });
});
