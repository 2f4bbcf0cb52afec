import type { ValidateFunction } from "ajv";
import type AjvCore from "ajv/dist/core.js";
import extensionMeta from "../../schemas/identity_extension.meta.schema.json" with { type: "json" };
import identityMeta from "../../schemas/identity_meta.schema.json" with { type: "json" };
import { createAjv, dialectOf } from "./ajv.ts";
import { type ExtensionPlan, planExtensions } from "./extension-plan.ts";
import { readSchemaSource } from "./schema-source.ts";

/**
 * The identity schemas of one server, loaded and compiled once at start (contract §14).
 * Everything a request needs from a schema (the compiled validator, the extension sites) is
 * computed here, so request handling never walks or compiles a schema.
 */

export interface SchemaEntry {
  readonly id: string;
  /** The URL it was loaded from, as configured. */
  readonly url: string;
  /** base64url(id) without padding: the id in `/schemas/<urlId>` and in `schema_url`. */
  readonly urlId: string;
  /** The schema JSON as loaded (served by `GET /schemas/{id}`). */
  readonly raw: Record<string, unknown>;
  /** Validates an identity document `{traits}`; reports all errors, with data (see ajv.ts). */
  readonly validate: ValidateFunction;
  readonly extensions: ExtensionPlan;
}

export interface SchemaRegistryOptions {
  defaultSchemaId: string;
  /** Directory relative `file://` URLs are resolved against (the config file's); defaults to the cwd. */
  baseDir?: string;
  /** Path of schemas/default.identity.schema.json, registered when no schema has the default id. */
  builtInDefault: string;
}

/** A schema could not be loaded; the message names the schema and the problem on one line. */
export class SchemaLoadError extends Error {
  constructor(
    readonly schemaId: string,
    readonly url: string,
    problem: string,
  ) {
    // Inline (base64) schemas can be long; the start is enough to recognise the entry.
    const shown = url.length > 80 ? `${url.slice(0, 60)}…` : url;
    super(`identity schema "${schemaId}" (${shown}): ${problem}`);
    this.name = "SchemaLoadError";
  }
}

/** base64url without padding of the id, as Kratos encodes schema ids in URLs. */
export function schemaUrlId(id: string): string {
  let encoded = urlIds.get(id);
  if (encoded === undefined) {
    encoded = encodeUrlId(id);
    // Bounded: ids come from stored identities too, not only from the configured schemas.
    if (urlIds.size >= 1024) urlIds.clear();
    urlIds.set(id, encoded);
  }
  return encoded;
}

/** Every identity answer names its schema's URL: encoded once per schema id, not per answer. */
const urlIds = new Map<string, string>();

function encodeUrlId(id: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(id)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

let metaCheck: ValidateFunction | undefined;

/**
 * Checks schemas against Kratos's identity meta-schema (which includes draft-07's meta-schema and
 * the extension vocabulary). Compiling it takes ~25 ms, so it is compiled once per process and
 * shared: it is a pure function of files shipped with the server, not configuration, and its
 * `errors` are read synchronously right after each call.
 */
function identityMetaCheck(): ValidateFunction {
  if (!metaCheck) {
    const ajv = createAjv("draft-07", { validateSchema: false });
    ajv.addSchema(extensionMeta);
    metaCheck = ajv.compile(identityMeta);
  }
  return metaCheck;
}

function describeMetaErrors(check: ValidateFunction): string {
  const lines = new Set<string>();
  for (const error of check.errors ?? []) {
    // Combinator errors only repeat their causes.
    if (["if", "allOf", "anyOf", "oneOf", "$ref"].includes(error.keyword)) continue;
    const params = error.params.additionalProperty ? ` (${error.params.additionalProperty})` : "";
    lines.add(`at ${error.instancePath || "/"}: ${error.message}${params}`);
  }
  return [...lines].slice(0, 3).join("; ");
}

function compileEntry(id: string, url: string, text: string, metaCheck: ValidateFunction): SchemaEntry {
  const fail = (problem: string) => new SchemaLoadError(id, url, problem);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw fail(`is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(raw)) throw fail("is not a JSON object");
  const traits = isObject(raw.properties) ? raw.properties.traits : undefined;
  if (!isObject(traits) || traits.type !== "object") {
    throw fail('must define "properties.traits" with "type": "object"');
  }
  if (!metaCheck(raw))
    throw fail(`does not satisfy the identity meta-schema: ${describeMetaErrors(metaCheck)}`);

  let ajv: AjvCore;
  try {
    // The meta check above already covered what Ajv's own schema validation would.
    ajv = createAjv(dialectOf(raw), { validateSchema: false });
  } catch (error) {
    throw fail((error as Error).message);
  }
  // One Ajv per schema: schemas often share an `$id` (all quickstart presets do), which a shared
  // instance would refuse. The root `$schema` has served its purpose (choosing the dialect).
  const { $schema: _dialect, ...compilable } = raw;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(compilable);
  } catch (error) {
    throw fail(`cannot be compiled: ${(error as Error).message}`);
  }
  return { id, url, urlId: schemaUrlId(id), raw, validate, extensions: planExtensions(raw) };
}

export class SchemaRegistry {
  readonly defaultId: string;
  readonly #entries: Map<string, SchemaEntry>;
  readonly #idsByUrlId: Map<string, string>;

  private constructor(entries: SchemaEntry[], defaultId: string) {
    this.defaultId = defaultId;
    this.#entries = new Map(entries.map((e) => [e.id, e]));
    this.#idsByUrlId = new Map(entries.map((e) => [e.urlId, e.id]));
  }

  /** Loads and compiles every configured schema; throws SchemaLoadError on the first bad one. */
  static async load(
    schemas: readonly { id: string; url: string }[],
    options: SchemaRegistryOptions,
  ): Promise<SchemaRegistry> {
    const sources = [...schemas];
    if (!sources.some((s) => s.id === options.defaultSchemaId)) {
      sources.push({ id: options.defaultSchemaId, url: `file://${options.builtInDefault}` });
    }
    const metaCheck = identityMetaCheck();
    const entries: SchemaEntry[] = [];
    const seen = new Set<string>();
    for (const { id, url } of sources) {
      if (seen.has(id)) throw new SchemaLoadError(id, url, "the id is configured more than once");
      seen.add(id);
      let text: string;
      try {
        text = await readSchemaSource(url, options.baseDir);
      } catch (error) {
        throw new SchemaLoadError(id, url, (error as Error).message);
      }
      entries.push(compileEntry(id, url, text, metaCheck));
    }
    return new SchemaRegistry(entries, options.defaultSchemaId);
  }

  get(id: string): SchemaEntry | undefined {
    return this.#entries.get(id);
  }

  /** The default schema (always present after `load`). */
  get defaultEntry(): SchemaEntry {
    return this.#entries.get(this.defaultId) as SchemaEntry;
  }

  /** Ids in configuration order (a built-in default comes last). */
  ids(): string[] {
    return [...this.#entries.keys()];
  }

  raw(id: string): Record<string, unknown> | undefined {
    return this.#entries.get(id)?.raw;
  }

  /** Accepts the id as used in `/schemas/{id}`: the base64url encoding or the raw id. */
  resolveSchemaId(pathId: string): string | undefined {
    if (this.#entries.has(pathId)) return pathId;
    return this.#idsByUrlId.get(pathId);
  }
}
