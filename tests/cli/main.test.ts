import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Configuration, FrontendApi } from "@ory/client-fetch";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Only what node needs: the developer's shell must not configure the server under test. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "SystemRoot"])
    if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

function start(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "server/main.ts", ...args], {
    cwd: ROOT,
    env: baseEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Collects a child's output and resolves when a line matches (or the child exits first). */
function watch(child: ChildProcess) {
  let stderr = "";
  let stdout = "";
  const waiters: { re: RegExp; ok: (m: RegExpMatchArray) => void; fail: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = stderr.match(w.re) ?? stdout.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.ok(m);
      }
    }
  };
  child.stderr!.on("data", (d) => {
    stderr += d;
    check();
  });
  child.stdout!.on("data", (d) => {
    stdout += d;
    check();
  });
  const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
  exited.then(() => {
    for (const w of waiters.splice(0)) w.fail(new Error(`process exited before ${w.re}:\n${stderr}`));
  });
  return {
    exited,
    output: () => ({ stderr, stdout }),
    /** Resolves on the first matching output; a guard fails the test instead of hanging it. */
    waitFor: (re: RegExp, guardMs = 120_000) =>
      new Promise<RegExpMatchArray>((ok, fail) => {
        const guard = setTimeout(() => fail(new Error(`no ${re} within ${guardMs} ms:\n${stderr}`)), guardMs);
        waiters.push({
          re,
          ok: (m) => {
            clearTimeout(guard);
            ok(m);
          },
          fail: (e) => {
            clearTimeout(guard);
            fail(e);
          },
        });
        check();
      }),
  };
}

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-main-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("the server starts on SQLite from env overrides, serves both listeners and stops on SIGTERM", async (t) => {
  const dir = tmp(t);
  const child = start([], {
    DSN: `sqlite://${join(dir, "db.sqlite")}`,
    SERVE_PUBLIC_PORT: "0",
    SERVE_ADMIN_PORT: "0",
  });
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const w = watch(child);
  const [, publicUrl] = await w.waitFor(/"url":"([^"]+)","msg":"public API listening"/);
  const [, adminUrl] = await w.waitFor(/"url":"([^"]+)","msg":"admin API listening"/);
  assert.match(publicUrl!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.notEqual(publicUrl, adminUrl);

  for (const base of [publicUrl!, adminUrl!]) {
    const res = await fetch(new URL("health/ready", base));
    assert.equal(res.status, 200, base);
    assert.deepEqual(await res.json(), { status: "ok" });
  }
  // The generated cookie secret is kept beside the database, with a warning (JSON lines outside dev).
  assert.match(w.output().stderr, /"level":"warn".*secrets\.cookie/);

  // A real round trip: the base URL defaults to the real port, so flows point back at this server.
  const api = new FrontendApi(new Configuration({ basePath: publicUrl!.replace(/\/$/, "") }));
  const flow = await api.createNativeRegistrationFlow();
  assert.ok(flow.ui.action.startsWith(publicUrl!), flow.ui.action);
  const res = await api.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: {
      method: "password",
      password: "Tessera-correct-horse-7421",
      traits: { email: "smoke@example.com", name: { first: "S", last: "M" } },
    },
  });
  assert.ok(res.session_token);
  const session = await api.toSession({ xSessionToken: res.session_token });
  assert.equal(session.identity?.traits.email, "smoke@example.com");

  child.kill("SIGTERM");
  assert.equal(await w.exited, 0);
});

test("the server starts from a YAML config file (--config)", async (t) => {
  const dir = tmp(t);
  const file = join(dir, "tessera.yml");
  writeFileSync(
    file,
    [
      `dsn: sqlite://${join(dir, "db.sqlite")}`,
      "serve:",
      "  public: { host: 127.0.0.1, port: 0 }",
      "  admin: { host: 127.0.0.1, port: 0 }",
      "secrets:",
      "  cookie: [a-very-long-cookie-secret-for-tests-only]",
      "log: { level: info }",
      "",
    ].join("\n"),
  );
  const child = start(["--config", file], {});
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const w = watch(child);
  const [, publicUrl] = await w.waitFor(/"url":"([^"]+)","msg":"public API listening"/);
  const [, adminUrl] = await w.waitFor(/"url":"([^"]+)","msg":"admin API listening"/);
  for (const base of [publicUrl!, adminUrl!]) {
    assert.equal((await fetch(new URL("health/ready", base))).status, 200);
    assert.equal((await fetch(new URL("health/alive", base))).status, 200);
  }
  assert.doesNotMatch(w.output().stderr, /secrets\.cookie/, "a configured secret is used");
  child.kill("SIGTERM");
  assert.equal(await w.exited, 0);
});

async function failsWith(args: string[], env: Record<string, string>, line: RegExp) {
  const child = start(args, env);
  const w = watch(child);
  const code = await w.exited;
  const { stderr } = w.output();
  assert.notEqual(code, 0, stderr);
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, line);
}

test("an unknown config key stops the server with one line naming the key path", async (t) => {
  const dir = tmp(t);
  const file = join(dir, "tessera.yml");
  writeFileSync(file, `dsn: sqlite://${join(dir, "db.sqlite")}\nserve:\n  public:\n    prot: 4433\n`);
  await failsWith(["--config", file], {}, /^config: serve\.public\.prot: unknown key/);
});

test("a missing identity schema file stops the server with one line naming the key path", async (t) => {
  const dir = tmp(t);
  const file = join(dir, "tessera.yml");
  writeFileSync(
    file,
    [
      `dsn: sqlite://${join(dir, "db.sqlite")}`,
      "identity:",
      "  default_schema_id: person",
      "  schemas:",
      "    - id: person",
      "      url: file://./missing.schema.json",
      "",
    ].join("\n"),
  );
  await failsWith(
    ["--config", file],
    {},
    /^config: identity\.schemas\[0\]\.url: .*missing\.schema\.json.*does not exist/,
  );
});

test("a bad environment override stops the server with one line naming the variable", async (t) => {
  const dir = tmp(t);
  await failsWith(
    [],
    { DSN: `sqlite://${join(dir, "db.sqlite")}`, SERVE_PUBLIC_PORT: "not-a-port" },
    /^config: .*SERVE_PUBLIC_PORT.*serve\.public\.port/,
  );
});
