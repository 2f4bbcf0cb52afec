/**
 * `npm run bench`: Tessera against a reference floor (bench/floor.ts: bare node:http +
 * better-sqlite3 + ajv doing the same whoami and profile write), in one run on one machine, so each
 * figure is printed with its ratio to the floor. Every response's status and body are checked and
 * the profile writes are read back afterwards; the table says how many were wrong. Asserts nothing.
 * The floor also does what the settings contract asks, bare and through Tessera's stack with group
 * commit, so the write goals' distance can be read as the contract's work, the stack and Tessera.
 *
 * BENCH_DURATION (s per scenario and round, default 3), BENCH_ROUNDS (3: each ratio alternates the
 * two scenarios it compares this many times and takes the median), BENCH_CONNECTIONS (50), BENCH_USERS (1000),
 * BENCH_LARGE (identities of the large-store scenario, default 100000; 0 skips it),
 * BENCH_PASSWORD_CONNECTIONS (8), BENCH_QUIET (s of quiet after seeding before idle memory is read,
 * 30), BENCH_DATABASE_URL or TEST_DATABASE_URL (PostgreSQL scenarios;
 * a database is created for the run and dropped after).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openStore } from "../db/open.ts";
import type { Store } from "../db/store.ts";
import { loadConfig } from "../server/config/load.ts";
import { createCookieSealer } from "../server/crypto/cookie-seal.ts";
import { createHasher } from "../server/methods/password/hasher.ts";
import { type Child, type LoadResult, load, memoryOf, type Step, sampleRss, startChild } from "./load.ts";
import {
  createSettingsFlows,
  fetchRetrying,
  makeUsers,
  registerTemplate,
  type SeedUser,
  seedIdentities,
  seedLargeSqlite,
} from "./seed.ts";

const env = process.env;
const DURATION = Number(env.BENCH_DURATION ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const USERS = Number(env.BENCH_USERS ?? 1000);
const LARGE = Number(env.BENCH_LARGE ?? 100_000);
const PASSWORD_CONNECTIONS = Number(env.BENCH_PASSWORD_CONNECTIONS ?? 8);
const PG_URL = env.BENCH_DATABASE_URL ?? env.TEST_DATABASE_URL;
const ROUNDS = Math.max(1, Number(env.BENCH_ROUNDS ?? 3));
const QUIET = Number(env.BENCH_QUIET ?? 30);

const rows: { name: string; result?: LoadResult; value?: string; ratio?: string; note?: string }[] = [];
const log = (text: string) => process.stderr.write(`${text}\n`);

const BENCH_SECRET = "bench-secret-0123456789abcdef";
/**
 * Session cookies are sealed (server/crypto/cookie-seal.ts): each user's cookie is its token sealed
 * with the bench's cookie secret, once, as the server would have set it at login.
 */
const sealer = createCookieSealer([BENCH_SECRET]);
const cookies = new Map<string, string>();
function sessionCookie(u: SeedUser): string {
  let cookie = cookies.get(u.token);
  if (cookie === undefined) {
    cookie = `ory_kratos_session=${sealer.seal("kratos/session", "ory_kratos_session", u.token, new Date())}`;
    cookies.set(u.token, cookie);
  }
  return cookie;
}

function tesseraConfig(dir: string, dsn: string): string {
  const file = join(dir, `tessera-${crypto.randomUUID()}.yml`);
  writeFileSync(
    file,
    [
      `dsn: ${dsn}`,
      "log: { level: warn }",
      "serve: { public: { port: 0 }, admin: { port: 0 } }",
      `secrets: { cookie: [${BENCH_SECRET}] }`,
      // No network here: the breached-password range API would only add failed lookups.
      "selfservice: { methods: { password: { config: { haveibeenpwned_enabled: false } } } }",
    ].join("\n"),
  );
  return file;
}

/** node's flags in `npm start` (V8's heap limits among them), so the bench measures what it runs. */
const START_FLAGS = (() => {
  const start: string = JSON.parse(readFileSync("package.json", "utf8")).scripts.start;
  const flags = /\bnode ((?:--\S+ )*)dist\/server\/main\.mjs/.exec(start)?.[1];
  if (flags === undefined) throw new Error(`npm start does not run dist/server/main.mjs: ${start}`);
  return flags.split(" ").filter(Boolean);
})();

/** The bundle `npm start` runs (built at the start of the run), as production would run it. */
function startTessera(config: string): Promise<Child> {
  return startChild(
    [...START_FLAGS, "dist/server/main.mjs", "--config", config],
    /public API listening" url=(\S+)/,
    {
      LOG_LEVEL: "info",
      LOG_FORMAT: "text",
    },
  );
}

// The scenarios' steps. Each checks the status and that the body is the caller's own.

const whoamiByToken: Step = {
  request: (u) => ({ path: "/sessions/whoami", headers: { "x-session-token": u.token } }),
  check: (status, body, u) => status === 200 && body.includes(u.id),
};

const whoamiByCookie: Step = {
  request: (u) => ({ path: "/sessions/whoami", headers: { cookie: sessionCookie(u) } }),
  check: (status, body, u) => status === 200 && body.includes(u.id),
};

/**
 * What each user's last acknowledged profile write set, and the last one sent: a request still in
 * flight when a scenario ends may have been written without its answer being read, so either value
 * is a correct read back; anything else is a lost or stray write.
 */
const acknowledged = new Map<string, string>();
const sent = new Map<string, string>();
let writes = 0;

function profileUpdate(flowOf: (u: SeedUser, context: Record<string, unknown>) => string, prefix = ""): Step {
  return {
    request: (u, context) => {
      const last = `Renamed ${writes++}`;
      context.last = last;
      sent.set(u.id, last);
      return {
        method: "POST",
        path: `${prefix}/self-service/settings?flow=${flowOf(u, context)}`,
        headers: { "x-session-token": u.token, "content-type": "application/json" },
        body: JSON.stringify({
          method: "profile",
          traits: { email: u.email, name: { first: "Bench", last } },
        }),
      };
    },
    check: (status, body, u, context) => {
      const ok =
        status === 200 && body.includes(`"state":"success"`) && body.includes(context.last as string);
      if (ok) acknowledged.set(u.id, context.last as string);
      return ok;
    },
  };
}

/** A new settings flow, then a profile update on it; `prefix` "/contract" asks the floor's contract routes. */
function createAndSubmit(prefix = ""): Step[] {
  return [
    {
      request: (u) => ({
        path: `${prefix}/self-service/settings/api`,
        headers: { "x-session-token": u.token },
      }),
      check: (status, body, _u, context) => {
        const id = status === 200 ? /"id":"([^"]+)"/.exec(body)?.[1] : undefined;
        context.flowId = id;
        return id !== undefined && body.includes(`"state":"show_form"`);
      },
    },
    profileUpdate((u, context) => (context.flowId as string | undefined) ?? u.flowId, prefix),
  ];
}

/** Two requests per iteration: the rate of whole iterations is half the request rate. */
const perPair = (result: LoadResult): LoadResult => ({
  ...result,
  rps: result.rps / 2,
  requests: result.requests / 2,
});

/** The prefix of bench/floor.ts's routes that do what the settings contract asks (bare node:http). */
const CONTRACT = "/contract";

const passwords = new Map<string, string>();
const sentPasswords = new Map<string, string>();
let changes = 0;
const passwordChange: Step = {
  request: (u, context) => {
    const password = `bench-changed-${changes++}-Kd93!q`;
    context.password = password;
    sentPasswords.set(u.id, password);
    return {
      method: "POST",
      path: `/self-service/settings?flow=${u.flowId}`,
      headers: { "x-session-token": u.token, "content-type": "application/json" },
      body: JSON.stringify({ method: "password", password }),
    };
  },
  check: (status, body, u, context) => {
    const ok = status === 200 && body.includes(`"state":"success"`);
    if (ok) passwords.set(u.id, context.password as string);
    return ok;
  },
};

/** Reads every acknowledged profile write back through whoami; answers how many differ. */
async function readBack(base: string, users: SeedUser[]): Promise<number> {
  let wrong = 0;
  for (const u of users) {
    const expected = acknowledged.get(u.id);
    if (expected === undefined) continue;
    const res = await fetchRetrying(`${base}sessions/whoami`, { headers: { "x-session-token": u.token } });
    const body = (await res.json()) as { identity?: { traits?: { name?: { last?: string } } } };
    const stored = body.identity?.traits?.name?.last;
    if (stored !== expected && stored !== sent.get(u.id)) wrong++;
  }
  return wrong;
}

/** The hasher alone at the configured cost, `availableParallelism()` at a time, for `seconds`. */
async function hasherRate(config: string, seconds: number, pairs: boolean): Promise<number> {
  const hasher = createHasher(loadConfig({ file: config, env: {} }).hashers);
  const stored = await hasher.hash("bench-hasher-0-Kd93!q");
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: availableParallelism() * 2 }, async () => {
      while (performance.now() < until) {
        if (pairs) await hasher.verify("bench-hasher-1-Kd93!q", stored);
        await hasher.hash("bench-hasher-1-Kd93!q");
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

function record(name: string, result: LoadResult, ratio?: number, note?: string): void {
  rows.push({
    name,
    result,
    ...(ratio === undefined ? {} : { ratio: percent(ratio) }),
    ...(note ? { note } : {}),
  });
  log(`${name}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms, ${result.bad} wrong`);
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)}%`;

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The median round by rate, with every round's requests, wrong answers and errors added up. */
function combined(results: LoadResult[]): LoadResult {
  const middle = [...results].sort((a, b) => a.rps - b.rps)[Math.floor(results.length / 2)]!;
  const total = (key: "requests" | "bad" | "errors") => results.reduce((sum, r) => sum + r[key], 0);
  return { ...middle, requests: total("requests"), bad: total("bad"), errors: total("errors") };
}

interface Paired {
  reference: LoadResult;
  measured: LoadResult;
  ratio: number;
}

/**
 * A ratio between two scenarios that host noise cannot skew: on a shared machine both servers'
 * rates move by tens of percent between scenarios a minute apart, so the two alternate, ROUNDS
 * times, and the ratio is the median of the rounds' own ratios.
 */
async function paired(
  reference: () => Promise<LoadResult>,
  measured: () => Promise<LoadResult>,
): Promise<Paired> {
  const references: LoadResult[] = [];
  const measures: LoadResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    references.push(await reference());
    measures.push(await measured());
  }
  return {
    reference: combined(references),
    measured: combined(measures),
    ratio: median(measures.map((m, i) => m.rps / references[i]!.rps)),
  };
}

/**
 * The SQLite scenarios. The server stays up afterwards (`stop` ends it): the PostgreSQL profile
 * update is paired with `profile`, SQLite's, round by round.
 */
async function sqliteRun(
  dir: string,
): Promise<{ profile: () => Promise<LoadResult>; stop: () => Promise<void> }> {
  const floorUsers = makeUsers(USERS, "floor");
  const usersFile = join(dir, "floor-users.json");
  writeFileSync(usersFile, JSON.stringify(floorUsers));
  const floor = await startChild(
    ["--import", "tsx", "bench/floor.ts", join(dir, "floor.sqlite"), usersFile],
    /floor listening (\S+ stack \S+)/,
  );
  const [floorUrl, stackUrl] = floor.url.split(" stack ") as [string, string];
  const users = makeUsers(USERS, "bench");
  const dbFile = join(dir, "tessera.sqlite");
  const config = tesseraConfig(dir, `sqlite://${dbFile}`);
  const tessera = await startTessera(config);
  const pid = tessera.process.pid!;
  const idleAtStart = memoryOf(pid).rssMiB;
  const store = await openStore(`sqlite://${dbFile}`);
  const stop = async () => {
    await store.close();
    await tessera.stop();
    await floor.stop();
  };
  try {
    log(`seeding ${USERS} users`);
    const template = await registerTemplate(tessera.url, store, "template@example.com");
    await seedIdentities(store, template, users);
    await createSettingsFlows(tessera.url, users);
    const idleSeeded = memoryOf(pid).rssMiB;
    // Idle is what a server holds once nothing has run for a while: V8 gives the seeding's garbage
    // and its enlarged young generation back only after some quiet seconds (its memory reducer).
    await new Promise((resolve) => setTimeout(resolve, QUIET * 1000));
    const idleQuiet = memoryOf(pid).rssMiB;

    const run = (url: string, list: SeedUser[], steps: Step[], connections = CONNECTIONS) =>
      load({ url, users: list, connections, duration: DURATION, steps });
    const floorWhoami = () => run(floorUrl, floorUsers, [whoamiByToken]);
    const floorProfile = () => run(floorUrl, floorUsers, [profileUpdate((u) => u.flowId)]);
    const profileRun = () => run(tessera.url, users, [profileUpdate((u) => u.flowId)]);

    const whoami = await sampleRss(pid, () =>
      paired(floorWhoami, () => run(tessera.url, users, [whoamiByToken])),
    );
    record("floor: whoami (token)", whoami.value.reference);
    record("whoami (token)", whoami.value.measured, whoami.value.ratio);
    const cookie = await paired(floorWhoami, () => run(tessera.url, users, [whoamiByCookie]));
    record("whoami (cookie)", cookie.measured, cookie.ratio);
    acknowledged.clear();
    const profile = await sampleRss(pid, () => paired(floorProfile, profileRun));
    const wrongBack = await readBack(tessera.url, users);
    record("floor: profile update", profile.value.reference);
    record(
      "profile update (existing flow)",
      profile.value.measured,
      profile.value.ratio,
      `${wrongBack} read back wrong`,
    );
    const created = await paired(floorProfile, async () =>
      perPair(await run(tessera.url, users, createAndSubmit())),
    );
    record("create flow + submit (per pair)", created.measured, created.ratio);

    // The floor doing what the contract asks (bench/floor.ts): bare, then through Tessera's stack
    // with its group commit. How much of the floor the contract's own work leaves, how much of that
    // the stack keeps, and how much of it Tessera reaches.
    const contractProfile = (url: string, prefix: string) => () =>
      run(url, floorUsers, [profileUpdate((u) => u.flowId, prefix)]);
    const contractCreate = (url: string, prefix: string) => async () =>
      perPair(await run(url, floorUsers, createAndSubmit(prefix)));
    const contractFloors = async (
      name: string,
      scenario: (url: string, prefix: string) => () => Promise<LoadResult>,
      tesseraRatio: number,
    ) => {
      const bare = await paired(floorProfile, scenario(floorUrl, CONTRACT));
      record(`floor doing the contract: ${name}`, bare.measured, bare.ratio);
      const stacked = await paired(floorProfile, scenario(stackUrl, ""));
      record(
        "  through the stack, group commit",
        stacked.measured,
        stacked.ratio,
        `Tessera reaches ${percent(tesseraRatio / stacked.ratio)} of it`,
      );
    };
    await contractFloors("profile update", contractProfile, profile.value.ratio);
    await contractFloors("create + submit", contractCreate, created.ratio);

    // Password changes on their own users, so whoami below is not slowed by locks on the same rows.
    const changers = users.slice(-Math.min(users.length / 2, 100));
    const readers = users.slice(0, users.length - changers.length);
    const hashes = await hasherRate(config, DURATION, false);
    const hashPairs = await hasherRate(config, DURATION, true);
    rows.push({ name: "hasher alone: hash", value: `${hashes.toFixed(1)}/s` });
    rows.push({ name: "hasher alone: verify + hash", value: `${hashPairs.toFixed(1)}/s` });
    const password = await run(tessera.url, changers, [passwordChange], PASSWORD_CONNECTIONS);
    record(
      "password change",
      password,
      undefined,
      `${((password.rps / hashPairs) * 100).toFixed(0)}% of verify + hash`,
    );
    const [during] = await Promise.all([
      run(tessera.url, readers, [whoamiByToken]),
      run(tessera.url, changers, [passwordChange], PASSWORD_CONNECTIONS),
    ]);
    record(
      "whoami during password changes",
      during,
      during.rps / whoami.value.reference.rps,
      `p99 alone ${whoami.value.measured.p99} ms`,
    );
    const sample = [...passwords].slice(0, 10);
    let wrongPasswords = 0;
    const hasher = createHasher(loadConfig({ file: config, env: {} }).hashers);
    for (const [id, secret] of sample) {
      const stored = (await store.getIdentity(id))?.credentials.find((c) => c.type === "password");
      const hash = String(stored?.config.hashed_password);
      const ok = (await hasher.verify(secret, hash)) || (await hasher.verify(sentPasswords.get(id)!, hash));
      if (!ok) wrongPasswords++;
    }
    rows.push({
      name: "password changes read back",
      value: `${sample.length - wrongPasswords}/${sample.length} ok`,
    });

    const memory = memoryOf(pid);
    rows.push({
      name: `RSS idle (started / seeded / ${QUIET} s later)`,
      value: `${idleAtStart.toFixed(0)} / ${idleSeeded.toFixed(0)} / ${idleQuiet.toFixed(0)} MiB`,
    });
    rows.push({
      name: `RSS at ${CONNECTIONS} connections (whoami / profile)`,
      value: `${whoami.maxMiB.toFixed(0)} / ${profile.maxMiB.toFixed(0)} MiB`,
    });
    rows.push({
      name: "RSS peak (whole run) / now",
      value: `${memory.peakMiB.toFixed(0)} / ${memory.rssMiB.toFixed(0)} MiB`,
    });

    if (LARGE > USERS) {
      // Each side is paired with the floor round by round, like every ratio here: the machine's
      // speed drifts within a run (a single floor reading before and one after, tried first, moved
      // by half from one to the other and made the comparison say more about the neighbours).
      const tesseraWhoami = () => run(tessera.url, users, [whoamiByToken]);
      const smallWhoami = await paired(floorWhoami, tesseraWhoami);
      const smallProfile = await paired(floorProfile, profileRun);
      log(`seeding ${LARGE - USERS} more identities`);
      const started = performance.now();
      seedLargeSqlite(dbFile, users[0]!.id, LARGE - USERS);
      // The seeding's dirty pages are written out before measuring, not during.
      execFileSync("sync");
      log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      const bigWhoami = await paired(floorWhoami, tesseraWhoami);
      const bigProfile = await paired(floorProfile, profileRun);
      const large = (what: string, big: Paired, small: Paired) =>
        record(
          `${what}, ${LARGE} identities`,
          big.measured,
          undefined,
          `${percent(big.ratio / small.ratio)} of ${USERS} (${percent(big.ratio)} of the floor against ${percent(small.ratio)})`,
        );
      large("whoami", bigWhoami, smallWhoami);
      large("profile update", bigProfile, smallProfile);
    }
    return { profile: profileRun, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function ratioNote(result: LoadResult, reference: LoadResult, name: string): string {
  return `${((result.rps / reference.rps) * 100).toFixed(0)}% of ${name}`;
}

async function postgresRun(dir: string, sqliteProfile: () => Promise<LoadResult>): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const name = `tessera_bench_${Date.now()}`;
  await admin.query(`create database ${name}`);
  const url = new URL(PG_URL!);
  url.pathname = `/${name}`;
  const dsn = url.toString();
  const config = tesseraConfig(dir, dsn);
  const first = await startTessera(config);
  let second: Child | undefined;
  let store: Store | undefined;
  try {
    store = await openStore(dsn);
    const users = makeUsers(USERS, "pg");
    log(`seeding ${USERS} users on PostgreSQL`);
    const template = await registerTemplate(first.url, store, "template@example.com");
    await seedIdentities(store, template, users);
    await createSettingsFlows(first.url, users);
    const run = (base: string, list: SeedUser[], steps: Step[], connections = CONNECTIONS) =>
      load({ url: base, users: list, connections, duration: DURATION, steps });
    const whoami = await run(first.url, users, [whoamiByToken]);
    record("PG whoami, one process", whoami);
    acknowledged.clear();
    // Round by round against SQLite's profile update (that server is still up).
    const versus = await paired(sqliteProfile, () => run(first.url, users, [profileUpdate((u) => u.flowId)]));
    const profile = versus.measured;
    const wrong = await readBack(first.url, users);
    record(
      "PG profile update, one process",
      profile,
      undefined,
      `${(versus.ratio * 100).toFixed(0)}% of SQLite, ${wrong} read back wrong`,
    );
    second = await startTessera(config);
    const half = Math.floor(users.length / 2);
    const both = async (steps: Step[]) => {
      const [a, b] = await Promise.all([
        run(first.url, users.slice(0, half), steps, CONNECTIONS / 2),
        run(second!.url, users.slice(half), steps, CONNECTIONS / 2),
      ]);
      return {
        rps: a.rps + b.rps,
        p50: Math.max(a.p50, b.p50),
        p99: Math.max(a.p99, b.p99),
        requests: a.requests + b.requests,
        bad: a.bad + b.bad,
        errors: a.errors + b.errors,
      };
    };
    const whoami2 = await both([whoamiByToken]);
    record("PG whoami, two processes", whoami2, undefined, ratioNote(whoami2, whoami, "one"));
    const profile2 = await both([profileUpdate((u) => u.flowId)]);
    record("PG profile update, two processes", profile2, undefined, ratioNote(profile2, profile, "one"));
  } finally {
    await store?.close();
    await first.stop();
    await second?.stop();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

function printTable(): void {
  console.log(
    `\nTessera benchmark: ${DURATION}s per scenario and round, ${ROUNDS} rounds per ratio, ${CONNECTIONS} connections, ${USERS} users, ${availableParallelism()} cores, loopback`,
  );
  console.log(
    "ratio: median over rounds of the two scenarios alternated (whoami to the floor's whoami, writes to its profile write)\n",
  );
  console.log(
    `${"scenario".padEnd(44)} ${"req/s".padStart(8)} ${"ratio".padStart(6)} ${"p50".padStart(5)} ${"p99".padStart(5)} ${"wrong".padStart(6)} ${"errors".padStart(6)}  note`,
  );
  for (const row of rows) {
    if (row.result) {
      const r = row.result;
      console.log(
        `${row.name.padEnd(44)} ${r.rps.toFixed(r.rps < 100 ? 1 : 0).padStart(8)} ${(row.ratio ?? "").padStart(6)} ${String(r.p50).padStart(5)} ${String(r.p99).padStart(5)} ${String(r.bad).padStart(6)} ${String(r.errors).padStart(6)}  ${row.note ?? ""}`,
      );
    } else {
      console.log(`${row.name.padEnd(44)} ${row.value}`);
    }
  }
}

// Stopped early (Ctrl-C): the scenarios measured so far are still worth printing.
process.once("SIGINT", () => {
  printTable();
  process.exit(130);
});

async function main(): Promise<void> {
  execFileSync(process.execPath, ["--import", "tsx", "server/bundle.ts"], { stdio: "inherit" });
  const dir = mkdtempSync(join(tmpdir(), "tessera-bench-"));
  try {
    const sqlite = await sqliteRun(dir);
    try {
      if (PG_URL) await postgresRun(dir, sqlite.profile);
      else rows.push({ name: "PostgreSQL", value: "skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)" });
    } finally {
      await sqlite.stop();
    }
  } finally {
    printTable();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
