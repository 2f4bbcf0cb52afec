/**
 * A throwaway front-end project (Vite + React) with the packed @tessera/client installed, as a front
 * end outside this repository would have it: the tarball from `npm pack` extracted into
 * node_modules/@tessera/client, its dependencies (@trpc/client, @trpc/server) and the project's own
 * (react, react-dom, zod, typescript, vite) resolvable next to it. Those come from this repository's
 * node_modules through symlinks, so nothing is downloaded; the server's libraries (drizzle, lucia,
 * better-sqlite3...) are NOT linked, so a type that needed them would fail to resolve.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./frontend/", import.meta.url));
const MODULES = realpathSync(join(ROOT, "node_modules"));

/** What the front end's package.json would install, besides @tessera/client and what it depends on. */
const LINKED = [
  "@trpc",
  "react",
  "react-dom",
  "scheduler",
  "zod",
  "typescript",
  "vite",
  "@vitejs",
  "@types/react",
  "@types/react-dom",
  "csstype",
];

export interface Frontend {
  dir: string;
  tarball: string;
  remove(): void;
}

/** `npm pack` in client/ (its prepack builds dist/), into `dest`; returns the tarball's path. */
export async function packClient(dest: string): Promise<string> {
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dest], {
    cwd: join(ROOT, "client"),
    env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false" },
    maxBuffer: 16 * 1024 * 1024,
  });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string }[];
  return join(dest, info!.filename);
}

/** Creates the project in a temporary directory, with the packed client installed. */
export async function createFrontend(): Promise<Frontend> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-frontend-"));
  cpSync(FIXTURE, dir, { recursive: true });
  const tarball = await packClient(dir);
  const modules = join(dir, "node_modules");
  const target = join(modules, "@tessera", "client");
  mkdirSync(target, { recursive: true });
  // What `npm install ./tessera-client-x.tgz` puts there: the tarball's package/ folder.
  await run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  for (const name of LINKED) {
    const link = join(modules, name);
    mkdirSync(join(link, ".."), { recursive: true });
    symlinkSync(join(MODULES, name), link, "dir");
  }
  return { dir, tarball, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The files of the packed tarball, as `npm pack` listed them. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run("tar", ["-tzf", tarball]);
  return stdout.split("\n").filter(Boolean).sort();
}

/** Runs the project's TypeScript on a tsconfig; never throws, returns the exit code and output. */
export async function typecheck(dir: string, tsconfig: string): Promise<{ code: number; output: string }> {
  const tsc = join(dir, "node_modules", "typescript", "bin", "tsc");
  try {
    const { stdout } = await run(process.execPath, [tsc, "-p", tsconfig, "--pretty", "false"], { cwd: dir });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** Lists a directory's files recursively, relative to it. */
export function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}
