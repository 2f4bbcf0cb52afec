import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { configInputJsonSchema } from "./env.ts";

/**
 * Generates `schemas/config.schema.json` from the zod schema in `schema.ts` (input side: what a
 * configuration file may contain, with defaults), for editors. Run with `npm run config:schema`;
 * a test checks the committed file matches, so it cannot drift from the zod schema.
 *
 * In a YAML file: `# yaml-language-server: $schema=./schemas/config.schema.json`.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
/** Relative to the repository root. */
export const CONFIG_JSON_SCHEMA_PATH = "schemas/config.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = configInputJsonSchema();
  return {
    $schema,
    title: "Tessera configuration",
    description:
      "Configuration of the Tessera identity server. Keys follow Ory Kratos's configuration; every key can also " +
      "be set by an environment variable named after its path (serve.public.port -> SERVE_PUBLIC_PORT). " +
      "Generated from server/config/schema.ts by `npm run config:schema`; do not edit by hand.",
    ...rest,
  };
}

/** The file's text: JSON formatted the way the repository's formatter (biome) formats it. */
export function renderConfigJsonSchema(): string {
  const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
  const biome = spawnSync(
    join(root, "node_modules", ".bin", "biome"),
    ["format", `--stdin-file-path=${CONFIG_JSON_SCHEMA_PATH}`],
    { cwd: root, input: text, encoding: "utf8" },
  );
  if (biome.status !== 0 || !biome.stdout) {
    throw new Error(`biome format failed: ${biome.error?.message ?? biome.stderr ?? "no output"}`);
  }
  return biome.stdout;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = join(root, CONFIG_JSON_SCHEMA_PATH);
  writeFileSync(target, renderConfigJsonSchema());
  console.log(`wrote ${target}`);
}
