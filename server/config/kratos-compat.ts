import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { ConfigError, formatKeyPath, type KeyPath } from "./errors.ts";
import { OPEN, type SchemaNode, SchemaWalker } from "./schema-walk.ts";

/**
 * Kratos configuration files start Tessera. Every key of the merged input falls in one of four
 * groups, found by walking Kratos's own configuration schema (`schemas/kratos-config.schema.json`,
 * vendored unchanged) beside Tessera's:
 *
 * - known to Tessera: validated by Tessera's schema as before;
 * - known to Kratos only: its value is validated by Kratos's schema, then it is dropped and named
 *   in ONE warning line — unless
 *   ignoring it would weaken security (`REFUSED_WHEN_IGNORED`), which stops the start with one line;
 * - a Tessera addition Kratos does not have (`dev`, `common_passwords_check_enabled`, ...): kept;
 * - known to neither: left in place, so Tessera's schema refuses it with its "did you mean".
 */

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ??
  addFormatsModule) as unknown as AddFormats;

/**
 * Kratos's schema (137 kB of JSON), read on first use: a server needs it while its configuration
 * loads, and `releaseKratosCompat` lets it go afterwards with everything derived from it.
 */
let kratos: { schema: SchemaNode; walker: SchemaWalker } | undefined;
function kratosSchema(): { schema: SchemaNode; walker: SchemaWalker } {
  if (!kratos) {
    const schema = JSON.parse(
      readFileSync(new URL("../../schemas/kratos-config.schema.json", import.meta.url), "utf8"),
    ) as SchemaNode;
    kratos = { schema, walker: new SchemaWalker(schema) };
  }
  return kratos;
}

/** Drops Kratos's schema and what was built from it (a later configuration load reads it again). */
export function releaseKratosCompat(): void {
  kratos = undefined;
  ajv = undefined;
  pointers = undefined;
  compiled.clear();
  cachedEnvNames = undefined;
}

/**
 * Kratos keys that Tessera does not implement and must not silently ignore, because the operator
 * set them to get a protection Tessera would not give. `when` says which values ask for it.
 */
export const REFUSED_WHEN_IGNORED: readonly {
  path: string;
  when: (value: unknown) => boolean;
  why: string;
}[] = [
  { path: "serve.public.tls", when: isSet, why: "Tessera does not terminate TLS; put a proxy in front" },
  { path: "serve.admin.tls", when: isSet, why: "Tessera does not terminate TLS; put a proxy in front" },
  {
    path: "security.account_enumeration.mitigate",
    when: (v) => v === true,
    why: "Tessera does not mitigate account enumeration",
  },
  {
    path: "security.disallow_ref_in_identity_schemas",
    when: (v) => v === true,
    why: "Tessera does not restrict $ref in identity schemas",
  },
];

function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "object") return Object.values(value).some(isSet);
  return value !== "";
}

/**
 * Compiling all of Kratos's schema takes seconds, so only the parts that judge ignored keys are
 * compiled, on first use: the schema is registered once and each part is reached by its JSON
 * pointer, which ajv compiles (with what it refers to) on its own.
 */
let ajv: Ajv | undefined;
function kratosAjv(): Ajv {
  if (ajv) return ajv;
  // Kratos's schema refers to one schema outside the file (ory://tracing-config, from ory/x); Tessera
  // ignores tracing, so any object passes there.
  ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema({ $id: "ory://tracing-config", type: "object" });
  return ajv;
}

let pointers: Map<SchemaNode, string> | undefined;
/** Every object of Kratos's schema by its JSON pointer (the first one found). */
function pointerOf(node: SchemaNode): string | undefined {
  if (!pointers) {
    const found = new Map<SchemaNode, string>();
    const visit = (value: unknown, pointer: string) => {
      if (typeof value !== "object" || value === null) return;
      if (!Array.isArray(value) && !found.has(value as SchemaNode)) found.set(value as SchemaNode, pointer);
      for (const [key, child] of Object.entries(value)) {
        visit(child, `${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`);
      }
    };
    visit(kratosSchema().schema, "");
    pointers = found;
  }
  return pointers.get(node);
}

const compiled = new Map<string, ValidateFunction>();
function validatorAt(pointer: string): ValidateFunction | undefined {
  let validate = compiled.get(pointer);
  if (!validate) {
    // The part alone, with Kratos's definitions beside it for its $refs: ajv compiles only what it uses.
    const node = pointerToPath(pointer).reduce<unknown>(
      (at, key) => (at as Record<string, unknown>)[String(key)],
      kratosSchema().schema,
    ) as SchemaNode;
    validate = kratosAjv().compile({
      ...node,
      $id: `${(kratosSchema().schema as { $id: string }).$id}/part${pointer}`,
      definitions: (kratosSchema().schema as { definitions?: unknown }).definitions,
    });
    compiled.set(pointer, validate);
  }
  return validate;
}

export interface KratosCompatResult {
  /** The input without the ignored Kratos keys (what Tessera's schema validates). */
  input: Record<string, unknown>;
  /** Paths of valid Kratos keys Tessera does not implement, as written (`courier.channels`). */
  ignored: string[];
}

/**
 * Sorts the keys of a merged configuration input as described above; throws a `ConfigError` when
 * Kratos's schema refuses a value or an ignored key would weaken security.
 */
export function applyKratosCompat(
  input: Record<string, unknown>,
  tessera: SchemaWalker,
  envSource?: (path: KeyPath) => string | undefined,
): KratosCompatResult {
  const ignored: KeyPath[] = [];
  const tesseraInput = structuredClone(input);
  const kratosWalker = kratosSchema().walker;

  const walk = (
    value: Record<string, unknown>,
    path: (string | number)[],
    t: SchemaNode[],
    k: SchemaNode[],
  ): void => {
    for (const [key, child] of Object.entries(value)) {
      const here = [...path, key];
      const tNext = t.includes(OPEN) ? [OPEN] : tessera.child(t, key);
      const kNext = k.includes(OPEN) ? [OPEN] : kratosWalker.child(k, key);
      if (tNext.length === 0 && kNext.length > 0) {
        ignored.push(here);
        continue;
      }
      // A Tessera addition, or a key nobody knows (Tessera's schema reports it): not Kratos's business.
      if (kNext.length === 0) continue;
      descend(child, here, tNext, kNext);
    }
  };
  const descend = (value: unknown, path: (string | number)[], t: SchemaNode[], k: SchemaNode[]) => {
    if (t.includes(OPEN) && k.includes(OPEN)) return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        descend(item, [...path, index], tessera.child(t, index), kratosWalker.child(k, index));
      });
    } else if (isPlainObject(value)) {
      walk(value, path, t, k);
    }
  };
  walk(input, [], tessera.top, kratosWalker.top);

  checkWithKratosSchema(input, ignored, envSource);

  for (const path of ignored) {
    const dotted = formatKeyPath(path);
    for (const rule of REFUSED_WHEN_IGNORED) {
      const inside = rule.path === dotted || rule.path.startsWith(`${dotted}.`);
      const value = inside ? valueAt(input, rule.path.split(".")) : undefined;
      if (inside && rule.when(value)) {
        throw new ConfigError(
          `${rule.path}: is valid for Kratos but ${rule.why}; remove it to start`,
          rule.path,
        );
      }
    }
    deleteAt(tesseraInput, path);
  }
  return { input: tesseraInput, ignored: ignored.map(formatKeyPath) };
}

/** The one warning line for ignored keys, or undefined when there are none. */
export function ignoredKeysWarning(ignored: readonly string[]): string | undefined {
  if (ignored.length === 0) return undefined;
  return `config: warning: ignoring ${ignored.length} Kratos ${ignored.length === 1 ? "key" : "keys"} Tessera does not implement: ${ignored.join(", ")}`;
}

/**
 * Kratos's schema judges the values of the keys Tessera ignores; the keys Tessera implements are
 * judged by Tessera's schema, whose messages (and "did you mean") are the ones operators know. An
 * ignored value passes when any schema Kratos has for that key accepts it.
 */
function checkWithKratosSchema(
  input: Record<string, unknown>,
  ignored: readonly KeyPath[],
  envSource?: (path: KeyPath) => string | undefined,
): void {
  const kratosWalker = kratosSchema().walker;
  for (const path of ignored) {
    let nodes = kratosWalker.top;
    for (const segment of path) nodes = kratosWalker.child(nodes, segment as string | number);
    if (nodes.includes(OPEN)) continue;
    const value = valueAt(input, path as (string | number)[]);
    let problem: ErrorObject | undefined;
    let passed = false;
    for (const node of nodes) {
      const pointer = pointerOf(node);
      const validate = pointer === undefined ? undefined : validatorAt(pointer);
      if (!validate || validate(value)) {
        passed = true;
        break;
      }
      problem ??= pickMostSpecific((validate.errors ?? []).filter(isReportable));
    }
    if (passed || !problem) continue;
    const at = formatKeyPath([...path, ...pointerToPath(problem.instancePath)]);
    const env = envSource?.(path);
    const from = env ? ` (set by environment variable ${env})` : "";
    throw new ConfigError(`${at}: ${describe(problem)}${from} (Kratos's configuration schema)`, at);
  }
}

/** Inside an ignored key everything Kratos checks counts; the conditional wrappers only repeat it. */
function isReportable(error: ErrorObject): boolean {
  return !["if", "then", "else"].includes(error.keyword);
}

/** Among branch errors of a oneOf/anyOf, the deepest is the one a person can act on. */
function pickMostSpecific(errors: ErrorObject[]): ErrorObject | undefined {
  const leaf = errors.filter((e) => !["oneOf", "anyOf", "allOf", "not"].includes(e.keyword));
  const pool = leaf.length > 0 ? leaf : errors;
  return pool.reduce<ErrorObject | undefined>(
    (best, e) => (best === undefined || e.instancePath.length > best.instancePath.length ? e : best),
    undefined,
  );
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "enum":
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return error.message ?? "is invalid";
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueAt(tree: unknown, path: readonly (string | number)[]): unknown {
  let node = tree;
  for (const segment of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function deleteAt(tree: Record<string, unknown>, path: readonly PropertyKey[]): void {
  let node: unknown = tree;
  for (const segment of path.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  if (typeof node === "object" && node !== null) delete (node as Record<PropertyKey, unknown>)[path.at(-1)!];
}

let cachedEnvNames: Set<string> | undefined;
/** Every key path Kratos's schema names, as an environment variable name (`SERVE_PUBLIC_TLS_CERT_PATH`). */
export function kratosEnvNames(): ReadonlySet<string> {
  if (cachedEnvNames) return cachedEnvNames;
  const kratosWalker = kratosSchema().walker;
  const names = new Set<string>();
  const visit = (nodes: SchemaNode[], path: string[], depth: number) => {
    if (depth > 12) return;
    const flat = nodes.flatMap((n) => kratosWalker.expand(n));
    const keys = new Set(flat.flatMap((n) => Object.keys(n.properties ?? {})));
    for (const key of keys) {
      const here = [...path, key];
      names.add(here.join("_").toUpperCase());
      visit(kratosWalker.child(nodes, key), here, depth + 1);
    }
  };
  visit(kratosWalker.top, [], 0);
  cachedEnvNames = names;
  return names;
}
