import { z } from "zod";
import { ConfigError, type KeyPath, suggest } from "./errors.ts";
import { kratosEnvNames } from "./kratos-compat.ts";
import { configSchema } from "./schema.ts";

/**
 * Kratos-style environment overrides: a variable's name is a configuration key path upper-cased
 * with `.` turned into `_` (`serve.public.port` -> `SERVE_PUBLIC_PORT`,
 * `selfservice.flows.settings.privileged_session_max_age` ->
 * `SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE`). Key names contain underscores, so
 * names are matched against the schema's known leaf paths rather than split on `_`; variables
 * that match no path are ignored, and so are empty ones.
 *
 * Values are coerced by the leaf's type: numbers; booleans (`true`, `false`, `1`, `0`); arrays as
 * JSON array text, or comma-separated for arrays of strings or numbers; objects as JSON text.
 */

type JsonSchemaNode = {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: boolean | JsonSchemaNode;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
  enum?: unknown[];
  const?: unknown;
};

export type LeafKind = "string" | "number" | "integer" | "boolean" | "array" | "object" | "any";

export interface ConfigLeaf {
  /** Key path, e.g. `["serve", "public", "port"]`. */
  path: readonly string[];
  /** Environment variable name, e.g. `SERVE_PUBLIC_PORT`. */
  envName: string;
  kind: LeafKind;
  /** For arrays: the kind of the items. */
  itemKind?: LeafKind;
}

let cachedJsonSchema: JsonSchemaNode | undefined;
let cachedLeaves: Map<string, ConfigLeaf> | undefined;

/** See `releaseConfigCaches` (load.ts). */
export function releaseConfigSchemaCaches(): void {
  cachedJsonSchema = undefined;
  cachedLeaves = undefined;
}

/** The configuration's JSON Schema, input side (what may be written), derived from the zod schema. */
export function configInputJsonSchema(): Record<string, unknown> {
  cachedJsonSchema ??= z.toJSONSchema(configSchema, {
    io: "input",
    target: "draft-7",
    unrepresentable: "any",
  }) as JsonSchemaNode;
  return cachedJsonSchema as Record<string, unknown>;
}

function kindOf(node: JsonSchemaNode): LeafKind {
  const type = Array.isArray(node.type) ? (node.type.length === 1 ? node.type[0] : undefined) : node.type;
  switch (type) {
    case "string":
    case "number":
    case "integer":
    case "boolean":
    case "array":
    case "object":
      return type;
  }
  if (node.enum?.every((v) => typeof v === "string") || typeof node.const === "string") return "string";
  return "any";
}

/** Every leaf key of the configuration (a value that is not an object with known keys), by env name. */
export function configLeaves(): ReadonlyMap<string, ConfigLeaf> {
  if (cachedLeaves) return cachedLeaves;
  const leaves = new Map<string, ConfigLeaf>();
  const walk = (node: JsonSchemaNode, path: string[]) => {
    if (node.properties && kindOf(node) === "object") {
      for (const [key, child] of Object.entries(node.properties)) walk(child, [...path, key]);
      return;
    }
    if (path.length === 0) return;
    const kind = kindOf(node);
    const envName = path.join("_").toUpperCase();
    const clash = leaves.get(envName);
    if (clash) {
      throw new Error(
        `config: keys ${clash.path.join(".")} and ${path.join(".")} share the environment variable ${envName}`,
      );
    }
    const leaf: ConfigLeaf = { path, envName, kind };
    if (kind === "array" && node.items) leaf.itemKind = kindOf(node.items);
    leaves.set(envName, leaf);
  };
  walk(configInputJsonSchema() as JsonSchemaNode, []);
  cachedLeaves = leaves;
  return leaves;
}

/** The keys the schema knows at a path (for "did you mean" hints). Union branches are pooled. */
export function knownKeysAt(path: KeyPath): string[] {
  let nodes: JsonSchemaNode[] = [configInputJsonSchema() as JsonSchemaNode];
  const expand = (list: JsonSchemaNode[]): JsonSchemaNode[] =>
    list.flatMap((n) => [n, ...expand([...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])])]);
  for (const segment of path) {
    nodes = expand(nodes).flatMap((n) => {
      if (typeof segment === "number") return n.items ? [n.items] : [];
      const child = n.properties?.[String(segment)];
      return child ? [child] : [];
    });
  }
  return [...new Set(expand(nodes).flatMap((n) => Object.keys(n.properties ?? {})))];
}

export interface EnvOverrides {
  /** A partial configuration tree holding the overridden values. */
  values: Record<string, unknown>;
  /** The variable that set each overridden key, by dotted key path. */
  sources: Map<string, string>;
  /** One warning line per variable that looks like a misspelt override ("did you mean"). */
  misspelt: string[];
}

/** Reads the overrides out of an environment (`process.env` or a test's record). */
export function envOverrides(env: Readonly<Record<string, string | undefined>>): EnvOverrides {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const misspelt: string[] = [];
  const leaves = configLeaves();
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || raw === "") continue;
    const leaf = leaves.get(name);
    if (!leaf) {
      const hint = misspeltOverride(name, leaves);
      if (hint) {
        misspelt.push(
          `config: warning: environment variable ${name} is not a configuration key (did you mean "${hint}"?); ignoring it`,
        );
      }
      continue;
    }
    setAt(values, leaf.path, coerce(leaf, raw));
    sources.set(leaf.path.join("."), name);
  }
  return { values, sources, misspelt };
}

/**
 * The override a variable was probably meant to be: only for names under a top-level key's prefix
 * (`SERVE_…`, `SESSION_…`), that Kratos does not know either, and close to a known one — other
 * programs' variables (`SESSION_MANAGER`) stay quiet.
 */
function misspeltOverride(name: string, leaves: ReadonlyMap<string, ConfigLeaf>): string | undefined {
  const prefixes = new Set([...leaves.values()].map((leaf) => `${leaf.path[0]!.toUpperCase()}_`));
  const prefix = [...prefixes].find((p) => name.startsWith(p));
  if (!prefix || kratosEnvNames().has(name)) return undefined;
  const candidates = [...leaves.keys()].filter((known) => known.startsWith(prefix));
  return suggest(name, candidates);
}

function setAt(tree: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next === "object" && next !== null && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  node[path[path.length - 1]!] = value;
}

function fail(leaf: ConfigLeaf, raw: string, expected: string): never {
  const shown = raw.length > 60 ? `${raw.slice(0, 57)}...` : raw;
  throw new ConfigError(
    `environment variable ${leaf.envName} (${leaf.path.join(".")}): expected ${expected}, received ${JSON.stringify(shown)}`,
    leaf.path.join("."),
  );
}

function coerceScalar(leaf: ConfigLeaf, kind: LeafKind | undefined, raw: string): unknown {
  switch (kind) {
    case "number":
    case "integer": {
      const text = raw.trim();
      const n = Number(text);
      if (text === "" || !Number.isFinite(n)) fail(leaf, raw, kind === "integer" ? "an integer" : "a number");
      return n;
    }
    case "boolean": {
      const text = raw.trim().toLowerCase();
      if (text === "true" || text === "1") return true;
      if (text === "false" || text === "0") return false;
      return fail(leaf, raw, "true, false, 1 or 0");
    }
    default:
      return raw;
  }
}

function parseJson(leaf: ConfigLeaf, raw: string, expected: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return fail(leaf, raw, expected);
  }
}

function coerce(leaf: ConfigLeaf, raw: string): unknown {
  switch (leaf.kind) {
    case "string":
    case "number":
    case "integer":
    case "boolean":
      return coerceScalar(leaf, leaf.kind, raw);
    case "array": {
      const scalarItems =
        leaf.itemKind === "string" ||
        leaf.itemKind === "number" ||
        leaf.itemKind === "integer" ||
        leaf.itemKind === "boolean";
      const expected = scalarItems ? "a JSON array or comma-separated values" : "a JSON array";
      if (raw.trimStart().startsWith("[") || !scalarItems) {
        const parsed = parseJson(leaf, raw, expected);
        if (!Array.isArray(parsed)) fail(leaf, raw, expected);
        return parsed;
      }
      return raw
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== "")
        .map((part) => coerceScalar(leaf, leaf.itemKind, part));
    }
    case "object": {
      const parsed = parseJson(leaf, raw, "a JSON object");
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        fail(leaf, raw, "a JSON object");
      return parsed;
    }
    default: {
      // A value of several possible types: JSON if it parses, the text otherwise.
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    }
  }
}
