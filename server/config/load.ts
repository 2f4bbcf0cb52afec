import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { configInputJsonSchema, envOverrides, knownKeysAt, releaseConfigSchemaCaches } from "./env.ts";
import { ConfigError, configErrorFromIssues, type KeyPath } from "./errors.ts";
import { applyKratosCompat, ignoredKeysWarning, releaseKratosCompat } from "./kratos-compat.ts";
import { translateLegacyKeys } from "./legacy-aliases.ts";
import { type Config, type ConfigInput, configSchema } from "./schema.ts";
import { type SchemaNode, SchemaWalker } from "./schema-walk.ts";

export { ConfigError } from "./errors.ts";
export type { Config, ConfigInput } from "./schema.ts";

export interface LoadConfigOptions {
  /** A Kratos-style YAML (or JSON) configuration file. Without one, only defaults, env and overrides apply. */
  file?: string;
  /** Environment for `SERVE_PUBLIC_PORT`-style overrides; defaults to `process.env`. Pass `{}` for none. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Values deep-merged over the file and the environment (objects merge, arrays and scalars replace). */
  overrides?: ConfigInput;
  /** Values under everything else (the file, the environment, `overrides`): the built-in config. */
  base?: ConfigInput;
  /**
   * Receives each warning line (Kratos keys Tessera ignores, a misspelt environment override).
   * Defaults to standard error, so an operator sees them whatever logger the caller sets up.
   */
  warn?: (line: string) => void;
}

/**
 * Loads the configuration: the file, then environment overrides, then `overrides`, validated by
 * `configSchema`. Relative `file://` identity schema URLs are resolved against the configuration
 * file's directory (the working directory when they come from the environment or `overrides`) and
 * returned as absolute `file://` URLs; every `file://` schema must exist and every `base64://`
 * schema must decode to a JSON object.
 *
 * Every problem throws a `ConfigError` whose message is one line naming the key path and the problem.
 * The returned object is a fresh copy: callers may change it without affecting other loads.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  // v0.1/v0.2 key names become today's in each source before anything else (legacy-aliases.ts).
  const fromFile =
    options.file === undefined
      ? {}
      : translateLegacyKeys(readConfigFile(options.file), dirname(resolve(options.file)));
  const fromEnv = envOverrides(options.env ?? process.env);
  const overrides = translateLegacyKeys((options.overrides ?? {}) as Record<string, unknown>);
  const base = translateLegacyKeys((options.base ?? {}) as Record<string, unknown>);
  const merged = merge(merge(merge(base, fromFile), fromEnv.values), overrides);
  const envSource = (path: KeyPath) => envSourceOf(path, fromEnv.sources, overrides);
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));

  // Kratos's schema first; valid Kratos keys Tessera does not implement leave the input here.
  const compat = applyKratosCompat(merged, tesseraWalker(), envSource);
  const input = compat.input;
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw configErrorFromIssues(result.error.issues, { input, knownKeys: knownKeysAt, envSource });
  }
  const ignoredLine = ignoredKeysWarning(compat.ignored);
  if (ignoredLine) warn(ignoredLine);
  for (const line of fromEnv.misspelt) warn(line);
  const config = structuredClone(result.data);
  if (config.ciphers.algorithm !== "noop" && !config.secrets.cipher?.length) {
    // Kratos's schema requires it too (its if/then); without it nothing could be sealed.
    throw new ConfigError(
      `secrets.cipher: is required when ciphers.algorithm is ${JSON.stringify(config.ciphers.algorithm)}`,
      "secrets.cipher",
    );
  }

  const schemasPath = ["identity", "schemas"];
  const schemasFromFile =
    options.file !== undefined &&
    valueAt(overrides, schemasPath) === undefined &&
    valueAt(fromEnv.values, schemasPath) === undefined;
  const baseDir = schemasFromFile ? dirname(resolve(options.file!)) : process.cwd();
  checkIdentitySchemas(config, baseDir);
  return config;
}

/** Defaults plus `overrides`: no file, no environment (tests must not depend on the developer's shell). */
export function testConfig(overrides?: ConfigInput): Config {
  return loadConfig({ env: {}, overrides });
}

let cachedWalker: SchemaWalker | undefined;
function tesseraWalker(): SchemaWalker {
  cachedWalker ??= new SchemaWalker(configInputJsonSchema() as SchemaNode);
  return cachedWalker;
}

/**
 * Drops what loading a configuration builds and keeps for the next load (the configuration's JSON
 * Schema and its walker, Kratos's schema and its validators: about 2 MiB of heap). A command loads
 * its configuration once; a later load builds them again.
 */
export function releaseConfigCaches(): void {
  cachedWalker = undefined;
  releaseConfigSchemaCaches();
  releaseKratosCompat();
}

/** Reads and parses a YAML or JSON configuration file into a plain object (empty for an empty file). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read file ${JSON.stringify(file)}: ${fsErrorText(error)}`);
  }
  const language = /\.json$/i.test(file) ? "JSON" : "YAML";
  let data: unknown;
  try {
    // YAML 1.2 is a superset of JSON, and its errors carry line numbers.
    data = parseYaml(text, { merge: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const firstLine = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
      const line = error.linePos?.[0]?.line;
      throw new ConfigError(`${file}: invalid ${language}${line ? ` at line ${line}` : ""}: ${firstLine}`);
    }
    throw new ConfigError(`${file}: invalid ${language}: ${firstLineOf(error)}`);
  }
  if (data === null || data === undefined) return {};
  if (!isPlainObject(data)) {
    const found = Array.isArray(data) ? "a list" : `a ${typeof data}`;
    throw new ConfigError(`${file}: the top level must be a mapping of configuration keys, found ${found}`);
  }
  return withoutNulls(data);
}

function fsErrorText(error: unknown): string {
  // "ENOENT: no such file or directory, open 'x.yml'" -> "ENOENT: no such file or directory"
  return firstLineOf(error).replace(/, \w+ '[^']*'$/, "");
}

function firstLineOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Sets a key as an own data property, even `__proto__`, so odd keys reach validation as unknown keys. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `key:` with no value in YAML means "not set", as if the line were absent. */
function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === null) continue;
    define(out, key, isPlainObject(child) ? withoutNulls(child) : child);
  }
  return out;
}

/** Objects merge key by key; anything else in `over` (arrays included) replaces; `undefined` keeps `base`. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) define(out, key, value);
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const current = out[key];
    define(out, key, isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value);
  }
  return out;
}

function valueAt(tree: unknown, path: KeyPath): unknown {
  let node = tree;
  for (const segment of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** The environment variable that set `path` or an ancestor, unless `overrides` replaced it. */
function envSourceOf(path: KeyPath, sources: Map<string, string>, overrides: unknown): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const prefix = path.slice(0, length);
    const name = sources.get(prefix.map(String).join("."));
    if (name) return valueAt(overrides, prefix) === undefined ? name : undefined;
  }
  return undefined;
}

function checkIdentitySchemas(config: Config, baseDir: string): void {
  const seen = new Map<string, number>();
  config.identity.schemas = config.identity.schemas.map((entry, index) => {
    const at = `identity.schemas[${index}]`;
    const earlier = seen.get(entry.id);
    if (earlier !== undefined) {
      throw new ConfigError(
        `${at}.id: duplicate schema id ${JSON.stringify(entry.id)} (also identity.schemas[${earlier}].id)`,
        `${at}.id`,
      );
    }
    seen.set(entry.id, index);
    return { ...entry, url: checkSchemaUrl(entry.url, baseDir, `${at}.url`) };
  });
  const defaultId = config.identity.default_schema_id;
  if (seen.size > 0 && !seen.has(defaultId)) {
    const ids = [...seen.keys()].map((id) => JSON.stringify(id)).join(", ");
    throw new ConfigError(
      `identity.default_schema_id: ${JSON.stringify(defaultId)} is not the id of any identity.schemas entry (${ids})`,
      "identity.default_schema_id",
    );
  }
}

/** Checks one identity schema URL and returns it with a relative `file://` path made absolute. */
function checkSchemaUrl(url: string, baseDir: string, at: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  const rest = scheme === undefined ? "" : url.slice(scheme.length + 3);
  switch (scheme) {
    case "file": {
      let filePath: string;
      try {
        // file:///abs/path is absolute; Kratos also takes file://relative/path (and file://./path).
        filePath = rest.startsWith("/")
          ? fileURLToPath(`file://${rest}`)
          : resolve(baseDir, decodeURIComponent(rest));
      } catch (error) {
        throw new ConfigError(
          `${at}: ${JSON.stringify(url)} is not a valid file URL (${firstLineOf(error)})`,
          at,
        );
      }
      let isFile: boolean;
      try {
        isFile = statSync(filePath).isFile();
      } catch {
        throw new ConfigError(`${at}: schema file ${JSON.stringify(filePath)} does not exist`, at);
      }
      if (!isFile) throw new ConfigError(`${at}: schema file ${JSON.stringify(filePath)} is not a file`, at);
      return pathToFileURL(filePath).href;
    }
    case "base64": {
      const payload = rest.trim();
      if (payload === "" || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(payload)) {
        throw new ConfigError(`${at}: base64:// URL does not hold base64 text`, at);
      }
      let schema: unknown;
      try {
        schema = JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
      } catch (error) {
        throw new ConfigError(`${at}: base64:// URL does not decode to JSON (${firstLineOf(error)})`, at);
      }
      if (!isPlainObject(schema))
        throw new ConfigError(`${at}: base64:// URL does not decode to a JSON object`, at);
      return url;
    }
    case "http":
    case "https":
      if (!URL.canParse(url)) throw new ConfigError(`${at}: ${JSON.stringify(url)} is not a valid URL`, at);
      return url;
    default:
      throw new ConfigError(
        `${at}: must be a file://, http(s):// or base64:// URL, received ${JSON.stringify(url)}`,
        at,
      );
  }
}
