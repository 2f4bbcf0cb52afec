import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { openStore } from "../../db/open.ts";
import { createApp } from "../../server/app.ts";
import { ManualClock } from "../../server/clock.ts";
import { ConfigError, loadConfig } from "../../server/config/load.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import { listen } from "../../server/listen.ts";
import { silentLogger } from "../../server/logger.ts";
import type { TestServer } from "../helpers/server.ts";
import { bodyOf, jsonBody } from "../settings/helpers.ts";
import { adminSettingsRequest, registerSeedUser } from "./support.ts";

// Configurations written for v0.1 and v0.2 (seed 001's and 000's snippets, and those releases'
// quickstart files) start Tessera; an old key next to its new name with another value is refused.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const fixture = (name: string) => join(ROOT, "tests/fixtures/legacy", name);

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-legacy-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `server/main.ts --config <file>` until it listens (or exits); returns its output and exit code. */
async function runMain(t: { after(fn: () => void): void }, file: string) {
  const dir = tmp(t);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir };
  Object.assign(env, {
    DSN: `sqlite://${join(dir, "db.sqlite")}`,
    SERVE_PUBLIC_PORT: "0",
    SERVE_ADMIN_PORT: "0",
    // The readable log format, whose "public API listening url=…" line tells the server is up.
    LOG_FORMAT: "text",
  });
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", "--config", file], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let output = "";
  const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
  const listening = new Promise<string>((ok) => {
    const onData = (d: Buffer) => {
      output += d;
      const m = /public API listening"? url=(\S+)/.exec(output);
      if (m) ok(m[1]!);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  const first = await Promise.race([listening, exited.then((code) => ({ code }))]);
  return { child, first, output: () => output, exited };
}

for (const [file, era] of [
  ["v0.1-seed.yml", "profile"],
  ["v0.2-seed.yml", "settings"],
] as const) {
  test(`the seed's ${era} configuration (${file}) starts Tessera, with the old route on`, async (t) => {
    const run = await runMain(t, fixture(file));
    assert.equal(typeof run.first, "string", `did not start:\n${run.output()}`);
    const publicUrl = run.first as string;
    // Without a session the old init route sends the browser to the login UI, as in v0.1/v0.2.
    const res = await fetch(new URL(`self-service/browser/flows/${era}`, publicUrl), { redirect: "manual" });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), new URL("ui/login", publicUrl).toString());
    await res.body?.cancel();
    run.child.kill("SIGTERM");
    await run.exited;
  });

  test(`${file}: the old UI URL is today's settings ui_url`, () => {
    const config = loadConfig({ file: fixture(file), env: {} });
    assert.equal(config.selfservice.flows.settings.ui_url, "https://.../..");
  });
}

test("a configuration with an old key and its new name set differently does not start: one line", async (t) => {
  const run = await runMain(t, fixture("conflict.yml"));
  assert.deepEqual(run.first, { code: 1 });
  const lines = run.output().trim().split("\n");
  assert.equal(lines.length, 1, run.output());
  assert.equal(
    lines[0],
    'config: urls.settings_ui: is the old name of selfservice.flows.settings.ui_url, but selfservice.flows.settings.ui_url is also set, to a different value ("https://old.example.com/settings" vs "https://new.example.com/settings"); keep only one of them',
  );
});

test("conflicts between two old names of one key, and agreeing old and new keys", () => {
  const load = (overrides: unknown) => loadConfig({ env: {}, overrides: overrides as ConfigInput });
  assert.throws(
    () => load({ urls: { profile_ui: "https://a.example/p", settings_ui: "https://a.example/s" } }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /^config: urls\.settings_ui: is the old name of selfservice\.flows\.settings\.ui_url, but urls\.profile_ui/.test(
        err.message,
      ) &&
      !err.message.includes("\n"),
  );
  assert.throws(
    () =>
      load({
        selfservice: { profile: { request_lifespan: "5m" }, flows: { settings: { lifespan: "10m" } } },
      }),
    /selfservice\.profile\.request_lifespan: is the old name of selfservice\.flows\.settings\.lifespan/,
  );
  assert.throws(
    () =>
      load({
        selfservice: {
          strategies: { password: { enabled: false } },
          methods: { password: { enabled: true } },
        },
      }),
    /selfservice\.strategies\.password: is the old name of selfservice\.methods\.password\.enabled/,
  );
  // The same value under both names is not a conflict.
  const same = load({
    urls: { settings_ui: "https://a.example/s" },
    selfservice: { flows: { settings: { ui_url: "https://a.example/s" } } },
  });
  assert.equal(same.selfservice.flows.settings.ui_url, "https://a.example/s");
});

test("every old key of the v0.1 and v0.2 quickstart files lands on today's name", () => {
  const v1 = loadConfig({ file: fixture("v0.1-quickstart.yml"), env: {} });
  const v2 = loadConfig({ file: fixture("v0.2-quickstart.yml"), env: {} });
  for (const c of [v1, v2]) {
    const flows = c.selfservice.flows;
    assert.equal(flows.login.ui_url, "http://127.0.0.1:4455/auth/login");
    assert.equal(flows.registration.ui_url, "http://127.0.0.1:4455/auth/registration");
    assert.equal(flows.error.ui_url, "http://127.0.0.1:4455/error");
    assert.equal(flows.verification.ui_url, "http://127.0.0.1:4455/verify");
    assert.equal(flows.verification.enabled, true, "the verify hook became the verification flow");
    assert.equal(flows.verification.after?.default_browser_return_url, "http://127.0.0.1:4455/");
    assert.equal(flows.logout.after.default_browser_return_url, "http://127.0.0.1:4455/auth/login");
    assert.equal(flows.login.lifespan, "10m");
    assert.equal(flows.registration.lifespan, "10m");
    assert.deepEqual(flows.registration.after.password.hooks, [{ hook: "session" }]);
    assert.equal(c.selfservice.default_browser_return_url, "http://127.0.0.1:4455/");
    assert.deepEqual(c.selfservice.allowed_return_urls, ["http://127.0.0.1:4455"]);
    assert.equal(c.selfservice.methods.password.enabled, true);
    assert.equal(c.serve.public.base_url, "http://127.0.0.1:4455/.ory/kratos/public/");
    assert.equal(c.serve.admin.base_url, "http://kratos:4434/");
    assert.deepEqual(c.secrets.cookie, ["PLEASE-CHANGE-ME-I-AM-VERY-INSECURE"]);
    assert.equal(c.hashers.argon2.memory, "131072KB");
    assert.equal(c.identity.default_schema_id, "default");
    assert.equal(c.identity.schemas.length, 1);
  }
  assert.equal(v1.selfservice.flows.settings.ui_url, "http://127.0.0.1:4455/profile");
  assert.equal(v1.selfservice.flows.settings.lifespan, "30m");
  assert.deepEqual(v1.selfservice.flows.login.after.password, {
    default_browser_return_url: "http://127.0.0.1:4455/",
    hooks: [{ hook: "session" }],
  });
  assert.equal(v2.selfservice.flows.settings.ui_url, "http://127.0.0.1:4455/settings");
  assert.equal(v2.selfservice.flows.settings.privileged_session_max_age, "1m");
});

/** Starts the app on a configuration file, with only listener, database and test-speed settings overridden. */
async function startFromFile(t: { after(fn: () => Promise<void>): void }, file: string): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-legacy-"));
  const [pub, adm] = await Promise.all([
    listen("127.0.0.1", 0, silentLogger),
    listen("127.0.0.1", 0, silentLogger),
  ]);
  const config = loadConfig({
    file,
    env: {},
    overrides: {
      dsn: `sqlite://${join(dir, "db.sqlite")}`,
      serve: { public: { base_url: pub.url }, admin: { base_url: adm.url } },
      hashers: { argon2: { memory: "8MB", iterations: 1 } },
      selfservice: { methods: { password: { config: { haveibeenpwned_enabled: false } } } },
    },
  });
  const store = await openStore(config.dsn);
  await store.migrate();
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  const app = await createApp(config, store, { clock, logger: silentLogger });
  pub.bind(app.public);
  adm.bind(app.admin);
  const server: TestServer = {
    app,
    store,
    clock,
    publicUrl: pub.url,
    adminUrl: adm.url,
    async close() {
      await Promise.all([pub.close(), adm.close()]);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t.after(() => server.close());
  return server;
}

test("v0.2 quickstart: the old traits schema is wrapped and enforced; init lands on urls.settings_ui", async (t) => {
  const s = await startFromFile(t, fixture("v0.2-quickstart.yml"));
  // name.first needs 5 characters in the seeds' traits schema, so the old schema is in force.
  const flow = await bodyOf(await fetch(new URL("self-service/registration/api", s.publicUrl)));
  const refused = await fetch(
    new URL(`self-service/registration?flow=${String(flow.id)}`, s.publicUrl),
    jsonBody({
      method: "password",
      password: "Tessera-correct-horse-7421",
      traits: { email: "short@ory.sh", name: { first: "abc" } },
    }),
  );
  assert.equal(refused.status, 400);
  await refused.body?.cancel();

  const user = await registerSeedUser(s);
  const init = await user.jar.fetch(new URL("self-service/browser/flows/settings", s.publicUrl).toString());
  assert.equal(init.status, 302);
  const location = new URL(init.headers.get("location")!);
  assert.equal(`${location.origin}${location.pathname}`, "http://127.0.0.1:4455/settings");
  const id = location.searchParams.get("request")!;
  const request = await adminSettingsRequest(s, id);
  assert.deepEqual(request.identity.traits, {
    email: "foobar@ory.sh",
    name: { first: "Foobar", last: "Barbaz" },
  });
});
