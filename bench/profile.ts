/**
 * `npm run bench:profile -- <whoami|cookie|profile|create>`: runs one scenario against a Tessera started
 * with `node --cpu-prof`, then prints the profile's self time by function and by file (busy time
 * only: idle and GC shown apart). The .cpuprofile is kept for Chrome DevTools. `cookie` is whoami
 * with the session in its (sealed) cookie.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../db/open.ts";
import { createCookieSealer } from "../server/crypto/cookie-seal.ts";
import { load, type Step, startChild } from "./load.ts";
import { createSettingsFlows, makeUsers, registerTemplate, seedIdentities } from "./seed.ts";

const scenario = process.argv[2] ?? "whoami";
execFileSync(process.execPath, ["--import", "tsx", "server/bundle.ts"], { stdio: "inherit" });
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const dir = mkdtempSync(join(tmpdir(), "tessera-profile-"));
const dbFile = join(dir, "tessera.sqlite");
const SECRET = "bench-secret-0123456789abcdef";
// BENCH_PROFILE_DSN: profile on another database (an empty PostgreSQL one, say) instead of SQLite.
const dsn = process.env.BENCH_PROFILE_DSN ?? `sqlite://${dbFile}`;
const config = join(dir, "tessera.yml");
writeFileSync(
  config,
  [
    `dsn: ${dsn}`,
    "log: { level: warn }",
    "serve: { public: { port: 0 }, admin: { port: 0 } }",
    `secrets: { cookie: [${SECRET}] }`,
    "selfservice: { methods: { password: { config: { haveibeenpwned_enabled: false } } } }",
  ].join("\n"),
);

const tessera = await startChild(
  ["--cpu-prof", "--cpu-prof-dir", dir, "dist/server/main.mjs", "--config", config],
  /public API listening" url=(\S+)/,
  { LOG_LEVEL: "info", LOG_FORMAT: "text" },
);
const store = await openStore(dsn);
const users = makeUsers(Number(process.env.BENCH_USERS ?? 200), "profile");
await seedIdentities(store, await registerTemplate(tessera.url, store, "template@example.com"), users);
await createSettingsFlows(tessera.url, users);
await store.close();

const sealer = createCookieSealer([SECRET]);
const sealed = new Map(
  users.map((u) => [u.token, sealer.seal("kratos/session", "ory_kratos_session", u.token, new Date())]),
);
let n = 0;
const steps: Record<string, Step[]> = {
  whoami: [
    {
      request: (u) => ({ path: "/sessions/whoami", headers: { "x-session-token": u.token } }),
      check: (status) => status === 200,
    },
  ],
  cookie: [
    {
      request: (u) => ({
        path: "/sessions/whoami",
        headers: { cookie: `ory_kratos_session=${sealed.get(u.token)}` },
      }),
      check: (status) => status === 200,
    },
  ],
  profile: [
    {
      request: (u) => ({
        method: "POST",
        path: `/self-service/settings?flow=${u.flowId}`,
        headers: { "x-session-token": u.token, "content-type": "application/json" },
        body: JSON.stringify({
          method: "profile",
          traits: { email: u.email, name: { first: "P", last: `${n++}` } },
        }),
      }),
      check: (status) => status === 200,
    },
  ],
  create: [
    {
      request: (u) => ({ path: "/self-service/settings/api", headers: { "x-session-token": u.token } }),
      check: (status) => status === 200,
    },
  ],
};
const result = await load({
  url: tessera.url,
  users,
  connections: 50,
  duration: DURATION,
  steps: steps[scenario]!,
});
console.log(`${scenario}: ${result.rps.toFixed(0)} req/s, ${result.bad} wrong`);
await tessera.stop();

const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!;
console.log(`profile: ${join(dir, file)}`);
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  endTime: number;
  startTime: number;
};
// Only the load's own seconds (the process stops right after it): start-up and seeding left out.
const times: number[] = [];
let clock = profile.startTime;
for (const dt of profile.timeDeltas) {
  clock += dt;
  times.push(clock);
}
const from = profile.endTime - DURATION * 1_000_000;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
const files = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, i) => {
  if (times[i]! < from) return;
  const frame = byId.get(id)!.callFrame;
  const dt = profile.timeDeltas[i] ?? 0;
  if (frame.functionName === "(idle)" || frame.functionName === "(program)") return;
  busy += dt;
  const where = frame.url.replace(/^.*\/(node_modules\/|wt-[^/]+\/)/, "");
  const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  const fileKey = where || frame.functionName;
  files.set(fileKey, (files.get(fileKey) ?? 0) + dt);
});
const top = (map: Map<string, number>, count: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}`)
    .join("\n");
console.log(`\nbusy ${(busy / 1000).toFixed(0)} ms; self time by function:\n${top(self, 25)}`);
console.log(`\nself time by file:\n${top(files, 20)}`);
