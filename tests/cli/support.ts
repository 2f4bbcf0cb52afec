import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Only what node needs: the developer's shell must not configure the command under test. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "SystemRoot"])
    if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...extra };
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tessera <args>` (server/main.ts) to completion as a child process. */
export function tessera(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Ran> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", ...args], {
      cwd: ROOT,
      env: baseEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("exit", (code) => ok({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

export function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-cli-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A config file for commands: a SQLite file in `dir`, test-speed hashing, no network lookups. */
export function configFile(
  dir: string,
  name = "db.sqlite",
  extra: string[] = [],
  logLevel = "warning",
): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(
    file,
    [
      `dsn: sqlite://${join(dir, name)}`,
      `log: { level: ${logLevel} }`,
      "hashers: { algorithm: argon2, argon2: { memory: 8MB, iterations: 1, parallelism: 1 } }",
      "selfservice: { methods: { password: { config: { haveibeenpwned_enabled: false } } } }",
      ...extra,
      "",
    ].join("\n"),
  );
  return file;
}

/**
 * Starts `tessera serve` on `configFile(dir)` and free ports, logging at info, and answers once the
 * admin API listens. A child still running after the test is killed.
 */
export async function startServe(
  t: { after(fn: () => void): void },
  dir: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; adminUrl: string; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "server/main.ts", "serve", "-c", configFile(dir), ...args],
    {
      cwd: ROOT,
      env: baseEnv({ SERVE_PUBLIC_PORT: "0", SERVE_ADMIN_PORT: "0", LOG_LEVEL: "info" }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let stderr = "";
  const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
  const adminUrl = await new Promise<string>((ok, fail) => {
    child.stderr!.on("data", (d) => {
      stderr += d;
      const m = /"url":"([^"]+)","msg":"admin API listening"/.exec(stderr);
      if (m) ok(m[1]!);
    });
    child.on("exit", () => fail(new Error(`exited early:\n${stderr}`)));
  });
  return { child, adminUrl, exited, stderr: () => stderr };
}
