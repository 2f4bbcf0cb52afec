/**
 * `npm run bench`: starts the server on the embedded default (a fresh SQLite file, production hashing
 * settings) in a child process and measures the hot paths with autocannon on loopback. Prints
 * requests per second and p50/p99 latency; asserts nothing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { SqliteStore } from "../db/sqlite/store.ts";
import type { FullIdentity, Store } from "../db/store.ts";
import { systemClock } from "../server/clock.ts";
import type { AppDeps } from "../server/deps.ts";
import { commitIdentityChange } from "../server/identity/commit.ts";

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

interface Target {
  child: ChildProcess;
  publicUrl: string;
}

async function startServer(dir: string): Promise<Target> {
  const config = join(dir, "tessera.yml");
  writeFileSync(
    config,
    [
      `dsn: sqlite://${join(dir, "bench.sqlite")}`,
      "log: { level: warn }",
      "serve: { public: { port: 0 }, admin: { port: 0 } }",
      "secrets: { cookie: [bench-secret-0123456789abcdef] }",
      // No network here: the breached-password range API would only add failed lookups.
      "selfservice: { methods: { password: { config: { haveibeenpwned_enabled: false } } } }",
    ].join("\n"),
  );
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", "--config", config], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LOG_LEVEL: "info" },
  });
  const publicUrl = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /public API listening"? url=(\S+)|"url":"([^"]+)","msg":"public API listening"/.exec(
        buffer,
      );
      if (match) resolve((match[1] ?? match[2])!);
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${buffer}`)));
  });
  return { child, publicUrl };
}

async function register(base: string, i: number): Promise<string> {
  const flow = (await (await fetch(`${base}self-service/registration/api`)).json()) as {
    ui: { action: string };
  };
  const res = await fetch(flow.ui.action, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      method: "password",
      password: `bench-password-${i}-Zq8!x`,
      traits: { email: `bench-${i}@example.com`, name: { first: "Bench", last: `User ${i}` } },
    }),
  });
  const body = (await res.json()) as { session_token: string };
  return body.session_token;
}

async function settingsAction(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}self-service/settings/api`, { headers: { "x-session-token": token } });
  return ((await res.json()) as { ui: { action: string } }).ui.action;
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function measure(name: string, opts: autocannon.Options): Promise<Row> {
  const result = await autocannon({ duration: DURATION, connections: CONNECTIONS, ...opts });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-"));
  const { child, publicUrl } = await startServer(dir);
  try {
    const tokens = await Promise.all(Array.from({ length: 4 }, (_, i) => register(publicUrl, i)));
    const token = tokens[0]!;
    const rows: Row[] = [];
    // The ceiling of this setup: autocannon shares the 2 cores with the server.
    rows.push(await measure("baseline: /health/alive", { url: `${publicUrl}health/alive` }));
    rows.push(
      await measure("whoami (token)", {
        url: `${publicUrl}sessions/whoami`,
        headers: { "x-session-token": token },
      }),
    );
    rows.push(
      await measure("create settings flow (api)", {
        url: `${publicUrl}self-service/settings/api`,
        headers: { "x-session-token": token },
      }),
    );
    const action = await settingsAction(publicUrl, tokens[1]!);
    let n = 0;
    rows.push(
      await measure("profile update (api flow)", {
        url: action,
        method: "POST",
        headers: { "x-session-token": tokens[1]!, "content-type": "application/json" },
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({
                method: "profile",
                traits: { email: "bench-1@example.com", name: { first: "Bench", last: `Renamed ${n++}` } },
              }),
            }),
          },
        ],
      }),
    );
    const passwordAction = await settingsAction(publicUrl, tokens[2]!);
    let p = 0;
    rows.push(
      await measure("password change (argon2id, api flow)", {
        url: passwordAction,
        method: "POST",
        // Each change verifies the old hash and computes a new one (~100 ms of argon2id each).
        duration: Math.max(DURATION, 10),
        connections: 4,
        headers: { "x-session-token": tokens[2]!, "content-type": "application/json" },
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({ method: "password", password: `fresh-secret-${p++}-Kd93!q` }),
            }),
          },
        ],
      }),
    );
    console.log(
      `\nTessera benchmark: ${DURATION}s per scenario, ${CONNECTIONS} connections, SQLite file, loopback\n`,
    );
    console.log("scenario                                   req/s     p50 ms   p99 ms   non-2xx  errors");
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(40)} ${r.rps.toFixed(0).padStart(8)} ${String(r.p50).padStart(9)} ${String(r.p99).padStart(8)} ${String(r.non2xx).padStart(9)} ${String(r.errors).padStart(7)}`,
      );
    }
    await commitOverhead(dir);
  } finally {
    child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The cost of deciding on the current state: sequential profile updates (traits only) of one
 * identity in process, as a raw store write (last writer wins) and through commitIdentityChange
 * (locked read, traits compared with the decided-on state, version bumped). SQLite file.
 */
async function commitOverhead(dir: string): Promise<void> {
  const store = new SqliteStore(join(dir, "commit.sqlite"));
  await store.migrate();
  const now = new Date();
  const seed: FullIdentity = {
    id: crypto.randomUUID(),
    schemaId: "default",
    state: "active",
    stateChangedAt: now,
    traits: { email: "commit@example.com", name: { first: "Bench", last: "0" } },
    metadataPublic: null,
    metadataAdmin: null,
    externalId: null,
    createdAt: now,
    updatedAt: now,
    credentials: [],
    verifiableAddresses: [],
    recoveryAddresses: [],
  };
  let identity = await store.createIdentity(seed);
  const deps = { store, clock: systemClock } as unknown as AppDeps;
  const renamed = (current: FullIdentity, i: number): FullIdentity => ({
    ...current,
    traits: { ...current.traits, name: { first: "Bench", last: String(i) } },
  });
  const run = async (name: string, write: (i: number) => Promise<void>) => {
    const until = Date.now() + DURATION * 1000;
    let i = 0;
    const started = performance.now();
    while (Date.now() < until) await write(i++);
    const ms = performance.now() - started;
    console.log(
      `${name.padEnd(52)} ${(i / (ms / 1000)).toFixed(0).padStart(8)} ops/s ${((ms / i) * 1000).toFixed(1).padStart(8)} µs/op`,
    );
  };
  console.log("\nProfile update in process (one identity, sequential, SQLite file)\n");
  const raw = async (i: number) => {
    identity = await store.updateIdentity(renamed(identity, i));
  };
  const committed = async (i: number) => {
    const result = await commitIdentityChange(deps, {
      decidedOn: identity,
      dependsOn: ["traits", "schema_id"],
      apply: (current) => ({ ok: true, identity: renamed(current, i) }),
    });
    if (result.kind === "committed") identity = result.identity;
  };
  // Twice each, alternating: the first round also warms up the JIT and the WAL file.
  for (const round of [1, 2]) {
    await run(`raw store.updateIdentity, no check (round ${round})`, raw);
    await run(`commitIdentityChange, traits check (round ${round})`, committed);
  }
  await (store as Store).close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
