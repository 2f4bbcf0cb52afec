/**
 * `npm run types -- --out DIR [--config FILE]`: writes the traits of every configured identity
 * schema as TypeScript types (`DIR/traits.ts`) and zod schemas (`DIR/traits.zod.ts`), for the
 * typed client: `createTesseraClient<DefaultTraits>(...)`. Schemas are loaded and checked exactly as
 * the server loads them (same configuration, environment overrides and meta-schema check).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../config/errors.ts";
import { loadConfig } from "../config/load.ts";
import { SchemaRegistry } from "../identity/registry.ts";
import { type SchemaSource, traitsTypesFile, traitsZodFile } from "./traits.ts";

const BUILT_IN_SCHEMA = fileURLToPath(new URL("../../schemas/default.identity.schema.json", import.meta.url));
const USAGE = "usage: npm run types -- --out DIR [--config FILE]";

interface Args {
  out: string;
  configFile: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let out: string | undefined;
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--out" || a === "-o") out = argv[++i];
    else if (a.startsWith("--out=")) out = a.slice("--out=".length);
    else if (a === "--config" || a === "-c") configFile = argv[++i];
    else if (a.startsWith("--config=")) configFile = a.slice("--config=".length);
    else throw new ConfigError(`unknown argument "${a}" (${USAGE})`);
  }
  if (!out) throw new ConfigError(`--out is required (${USAGE})`);
  return { out, configFile };
}

/** Loads the configured schemas and writes the two files; returns their paths. */
export async function writeTraitTypes(args: Args, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const config = loadConfig({ ...(args.configFile ? { file: args.configFile } : {}), env });
  const registry = await SchemaRegistry.load(config.identity.schemas, {
    defaultSchemaId: config.identity.default_schema_id,
    builtInDefault: BUILT_IN_SCHEMA,
  });
  const schemas: SchemaSource[] = registry.ids().map((id) => ({ id, schema: registry.raw(id)! }));
  const dir = resolve(args.out);
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    [join(dir, "traits.ts"), traitsTypesFile(schemas, registry.defaultId)],
    [join(dir, "traits.zod.ts"), traitsZodFile(schemas, registry.defaultId)],
  ];
  for (const [file, text] of files) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return files.map(([file]) => file);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeTraitTypes(parseArgs(process.argv.slice(2))).then(
    (files) => console.log(`wrote ${files.join(" and ")}`),
    (err: unknown) => {
      const known = err instanceof ConfigError || (err instanceof Error && err.name === "SchemaLoadError");
      console.error(known ? (err as Error).message : err);
      process.exit(1);
    },
  );
}
