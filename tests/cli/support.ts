import { spawn } from "node:child_process";
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
