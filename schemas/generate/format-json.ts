import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is schemas/generate/format-json.ts). */
export const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * A generated JSON file's text, formatted the way the repository's formatter (biome) formats it,
 * so `npm run lint` accepts the committed file and the drift tests compare exact text.
 */
export function formatJson(value: unknown, relativePath: string): string {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  const biome = spawnSync(
    join(repositoryRoot, "node_modules", ".bin", "biome"),
    ["format", `--stdin-file-path=${relativePath}`],
    { cwd: repositoryRoot, input: text, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (biome.status !== 0 || !biome.stdout) {
    throw new Error(`biome format failed: ${biome.error?.message ?? biome.stderr ?? "no output"}`);
  }
  return biome.stdout;
}

/** Writes generated files (relative path → text) under the repository root. */
export function writeGenerated(files: ReadonlyMap<string, string>): void {
  for (const [relativePath, text] of files) {
    const target = join(repositoryRoot, relativePath);
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}

/** Whether the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(moduleUrl) === process.argv[1];
}
