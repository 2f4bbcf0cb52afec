/**
 * Submission decoding shared by every settings method (contract §5.2, "JSON follows form format").
 *
 * Kratos turns every body, JSON or form, into form values and then types each value by the path it
 * names in the method's payload schema. We do the same, with one deliberate difference: a nested
 * JSON object sent for an object path that declares properties (`{"traits": {"email": …}}`) is
 * flattened into its leaf paths and coerced exactly like the flat keys (`"traits.email"`), so both
 * styles decode identically (Kratos inserts nested objects whole, skipping the empty-string and
 * number/boolean rules and keeping undeclared keys). Objects without declared properties
 * (`transient_payload`) are still inserted whole.
 *
 * Everything that depends only on the schema (its paths, their kinds, which objects have children)
 * is computed once by `compilePayloadDecoder`; `decode` only walks the submitted keys.
 */
import oidcPayload from "../../schemas/payloads/payload-oidc-settings.schema.json" with { type: "json" };
import passwordPayload from "../../schemas/payloads/payload-password-settings.schema.json" with {
  type: "json",
};
import profilePayload from "../../schemas/payloads/payload-profile-settings.schema.json" with {
  type: "json",
};

/** Form values by field name; repeated keys keep every value in order. */
export type FormValues = Map<string, string[]>;

/** A body that cannot be turned into form values; the caller renders it as a 400 with this reason. */
export interface DecodeError {
  readonly kind: "decode_error";
  readonly reason: string;
}

export function isDecodeError(value: unknown): value is DecodeError {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "decode_error";
}

type JsonObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Schema paths (the equivalent of Kratos's jsonschemax.ListPaths, over the raw schema JSON)
// ---------------------------------------------------------------------------------------------

/**
 * How a path's submitted text is typed. Arrays whose items are objects/arrays/null are
 * `objectArray`; arrays with untyped or mixed items behave like string arrays, as in Kratos.
 * `multi` covers properties that declare several types (or a non-scalar `const`).
 */
export type PathKind =
  | "string"
  | "number"
  | "boolean"
  | "object"
  | "stringArray"
  | "numberArray"
  | "booleanArray"
  | "objectArray"
  | "multi";

export interface SchemaPath {
  /** Dot-joined property names from the schema root, e.g. `traits.name.first`. */
  readonly name: string;
  readonly kind: PathKind;
  /** Listed in the `required` array of the object declaring it (never via conditional branches). */
  readonly required: boolean;
  /** Declared JSON types (`integer` kept distinct); used to type `multi` values. */
  readonly types: readonly string[];
  readonly title?: string;
  readonly format?: string;
  readonly pattern?: string;
  readonly enum?: readonly unknown[];
}

interface PathDraft {
  name: string;
  kind: PathKind | undefined;
  required: boolean;
  types: Set<string>;
  title?: string;
  format?: string;
  pattern?: string;
  enum?: readonly unknown[];
}

/** Resolves a local JSON pointer (`#/definitions/x`, `#/$defs/x`, `#/properties/...`); other refs are not followed. */
function resolveLocalRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === "") return root;
  if (!pointer.startsWith("/")) return undefined;
  let current: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isPlainObject(current) && Object.hasOwn(current, token)) current = current[token];
    else return undefined;
  }
  return current;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? "object" : typeof value;
}

function declaredTypes(schema: JsonObject): string[] {
  const t = schema.type;
  if (typeof t === "string") return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === "string");
  return [];
}

function arrayKind(schema: JsonObject, root: unknown): PathKind {
  const items = schema.items;
  const itemSchemas = Array.isArray(items) ? items : items === undefined ? [] : [items];
  const types = new Set<string>();
  for (const item of itemSchemas) {
    if (!isPlainObject(item)) continue;
    for (const t of declaredTypes(item)) types.add(t);
    if (typeof item.$ref === "string") {
      const target = resolveLocalRef(root, item.$ref);
      if (isPlainObject(target)) for (const t of declaredTypes(target)) types.add(t);
    }
  }
  if (types.size !== 1) return "stringArray";
  const [only] = types;
  if (only === "boolean") return "booleanArray";
  if (only === "number" || only === "integer") return "numberArray";
  if (only === "string") return "stringArray";
  return "objectArray";
}

/** The kind a single schema fragment declares (via `const` first, then `type`), if any. */
function fragmentKind(schema: JsonObject, root: unknown): { kind: PathKind; types: string[] } | undefined {
  if (Object.hasOwn(schema, "const")) {
    const t = jsonTypeOf(schema.const);
    if (t === "string" || t === "number" || t === "boolean") return { kind: t, types: [t] };
    return { kind: "multi", types: [t] };
  }
  const types = declaredTypes(schema);
  if (types.length === 0) return undefined;
  if (types.length > 1) return { kind: "multi", types };
  switch (types[0]) {
    case "string":
      return { kind: "string", types };
    case "number":
    case "integer":
      return { kind: "number", types };
    case "boolean":
      return { kind: "boolean", types };
    case "object":
      return { kind: "object", types };
    case "array":
      return { kind: arrayKind(schema, root), types };
    default:
      return { kind: "multi", types };
  }
}

function recordFragment(walk: Walk, name: string, schema: JsonObject, required: boolean) {
  let draft = walk.drafts.get(name);
  if (!draft) {
    draft = { name, kind: undefined, required: false, types: new Set() };
    walk.drafts.set(name, draft);
  }
  draft.required ||= required;
  const declared = fragmentKind(schema, walk.root);
  if (declared) {
    // Two fragments (e.g. anyOf branches) typing the same path differently make it multi-typed.
    if (draft.kind === undefined) draft.kind = declared.kind;
    else if (draft.kind !== declared.kind) draft.kind = "multi";
    for (const t of declared.types) draft.types.add(t);
  }
  // The property's own declaration is recorded first, so its annotations win over $ref targets.
  if (draft.title === undefined && typeof schema.title === "string" && schema.title !== "")
    draft.title = schema.title;
  if (draft.format === undefined && typeof schema.format === "string") draft.format = schema.format;
  if (draft.pattern === undefined && typeof schema.pattern === "string" && schema.pattern !== "")
    draft.pattern = schema.pattern;
  if (draft.enum === undefined && Array.isArray(schema.enum)) draft.enum = schema.enum;
}

interface Walk {
  readonly drafts: Map<string, PathDraft>;
  readonly root: unknown;
  readonly maxRecursion: number;
}

function visitSchema(
  walk: Walk,
  schema: unknown,
  segments: readonly string[],
  required: boolean,
  conditional: boolean,
  refsInUse: ReadonlyMap<string, number>,
) {
  if (!isPlainObject(schema)) return;
  if (segments.length > 0) recordFragment(walk, segments.join("."), schema, required && !conditional);

  // Own properties first, so a property declared here wins over one repeated in allOf/if/then.
  const properties = schema.properties;
  if (isPlainObject(properties)) {
    const requiredNames = Array.isArray(schema.required) ? schema.required : [];
    for (const [name, sub] of Object.entries(properties)) {
      visitSchema(walk, sub, [...segments, name], requiredNames.includes(name), conditional, refsInUse);
    }
  }

  // A $ref, allOf branch or conditional branch describes the same instance location.
  if (typeof schema.$ref === "string") {
    // A recursive schema is followed at most `maxRecursion` times more, then cut off.
    const entered = refsInUse.get(schema.$ref) ?? 0;
    if (entered <= walk.maxRecursion) {
      const inUse = new Map(refsInUse).set(schema.$ref, entered + 1);
      visitSchema(walk, resolveLocalRef(walk.root, schema.$ref), segments, required, conditional, inUse);
    }
  }
  if (Array.isArray(schema.allOf)) {
    for (const sub of schema.allOf) visitSchema(walk, sub, segments, required, conditional, refsInUse);
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) {
      for (const sub of branches) visitSchema(walk, sub, segments, required, true, refsInUse);
    }
  }
  for (const key of ["if", "then", "else"] as const) {
    visitSchema(walk, schema[key], segments, required, true, refsInUse);
  }
}

/**
 * Lists every typed path of a JSON schema (intermediate objects included), de-duplicated and
 * sorted by name. Follows local `$ref`s, `allOf`, `anyOf`, `oneOf` and `if/then/else`; a path
 * declared by several fragments merges them (first declaration's annotations win; differing
 * types make it `multi`). Untyped paths are left out, as Kratos does.
 *
 * `maxRecursion` is how often a `$ref` already being walked is entered again (0: recursive
 * schemas are cut at the first repeat; the decoder uses Kratos's 5).
 */
export function listSchemaPaths(schema: object, options: { maxRecursion?: number } = {}): SchemaPath[] {
  const drafts = new Map<string, PathDraft>();
  visitSchema(
    { drafts, root: schema, maxRecursion: options.maxRecursion ?? 0 },
    schema,
    [],
    false,
    false,
    new Map(),
  );
  const paths: SchemaPath[] = [];
  for (const d of drafts.values()) {
    if (d.kind === undefined) continue;
    paths.push({
      name: d.name,
      kind: d.kind,
      required: d.required,
      types: [...d.types],
      ...(d.title !== undefined ? { title: d.title } : {}),
      ...(d.format !== undefined ? { format: d.format } : {}),
      ...(d.pattern !== undefined ? { pattern: d.pattern } : {}),
      ...(d.enum !== undefined ? { enum: d.enum } : {}),
    });
  }
  return paths.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Bodies to form values
// ---------------------------------------------------------------------------------------------

function appendValue(values: FormValues, key: string, value: string) {
  const list = values.get(key);
  if (list) list.push(value);
  else values.set(key, [value]);
}

function appendValues(values: FormValues, key: string, more: readonly string[]) {
  const list = values.get(key);
  if (list) list.push(...more);
  else values.set(key, [...more]);
}

function isScalar(value: unknown): boolean {
  return (
    value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
  );
}

/** The form text of a JSON scalar: strings as-is, numbers/booleans as text, null as "" (gjson's String()). */
function scalarText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : String(value);
}

/**
 * The form values one JSON value stands for. An array of scalars becomes repeated values, the
 * form spelling of an array (Kratos would send its raw JSON text as a single value, which string
 * arrays then store verbatim); any other object or array is its raw JSON text.
 */
function jsonValueToTexts(value: unknown): string[] {
  if (Array.isArray(value) && value.every(isScalar)) return value.map(scalarText);
  if (typeof value === "object" && value !== null) return [JSON.stringify(value)];
  return [scalarText(value)];
}

/** gjson's name for a JSON value's type, used in Kratos's "expected an object" reason. */
function gjsonTypeName(value: unknown): string {
  if (value === null || value === undefined) return "Null";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return "Number";
  if (typeof value === "string") return "String";
  return "JSON";
}

/** §5.2 step 1: a JSON body's top-level keys as form values. Non-object bodies are rejected. */
export function jsonToFormValues(body: unknown): FormValues | DecodeError {
  if (!isPlainObject(body)) {
    return {
      kind: "decode_error",
      reason: `Expected JSON sent in request body to be an object but got: ${gjsonTypeName(body)}`,
    };
  }
  const values: FormValues = new Map();
  for (const [key, value] of Object.entries(body)) values.set(key, jsonValueToTexts(value));
  return values;
}

/** An `application/x-www-form-urlencoded` body (URLSearchParams semantics: `+` is a space). */
export function parseFormBody(text: string): FormValues {
  const values: FormValues = new Map();
  for (const [key, value] of new URLSearchParams(text)) appendValue(values, key, value);
  return values;
}

/** A `multipart/form-data` body read with `Request.formData()`; file parts carry no form value. */
export function formDataToValues(fd: FormData): FormValues {
  const values: FormValues = new Map();
  for (const [key, value] of fd) {
    if (typeof value === "string") appendValue(values, key, value);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Typing form values by payload schema
// ---------------------------------------------------------------------------------------------

/** Go's strconv.ParseFloat for the decimal spellings; Inf/NaN/hex would not survive as JSON anyway. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number, or the raw text when it is not one (the schema's `type` check reports it later). */
function parseNumberOrRaw(text: string): number | string {
  if (!DECIMAL.test(text)) return text;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

const TRUE_TEXTS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_TEXTS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Go's strconv.ParseBool, keeping unparseable text raw. */
function parseBoolOrRaw(text: string): boolean | string {
  if (TRUE_TEXTS.has(text)) return true;
  if (FALSE_TEXTS.has(text)) return false;
  return text;
}

const NOT_JSON = Symbol("not json");

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

function matchesType(value: unknown, types: readonly string[]): boolean {
  const t = jsonTypeOf(value);
  if (types.includes(t)) return true;
  return t === "number" && types.includes("integer") && Number.isInteger(value);
}

interface CompiledPath {
  readonly name: string;
  readonly segments: readonly string[];
  readonly kind: PathKind;
  readonly required: boolean;
  readonly types: readonly string[];
  /** For objects: whether the schema declares paths below it (then submitted objects are flattened). */
  readonly hasChildren: boolean;
}

/** Marks a value the decoder leaves out (treated as not submitted). */
const ABSENT = Symbol("absent");

/** §5.2 step 3: one path's submitted texts as a JSON value. */
function coerce(path: CompiledPath, texts: readonly string[]): unknown {
  switch (path.kind) {
    case "string": {
      const text = texts[0] ?? "";
      return text === "" ? ABSENT : text;
    }
    case "number": {
      const text = texts[0] ?? "";
      if (text === "") return path.required ? 0 : ABSENT;
      return parseNumberOrRaw(text);
    }
    case "boolean": {
      // The last value wins: forms pair a hidden "false" with the checkbox's "true".
      const text = texts[texts.length - 1] ?? "";
      if (text === "") return path.required ? false : ABSENT;
      return parseBoolOrRaw(text);
    }
    case "stringArray":
      return [...texts];
    case "numberArray":
      return texts.map(parseNumberOrRaw);
    case "booleanArray":
      return texts.map(parseBoolOrRaw);
    case "objectArray": {
      // JSON clients send the whole array as raw JSON text; forms repeat one JSON text per item.
      const whole = texts.length === 1 ? tryParseJson(texts[0]!) : NOT_JSON;
      if (Array.isArray(whole)) return whole;
      return texts.map((t) => {
        const parsed = tryParseJson(t);
        return parsed === NOT_JSON ? t : parsed;
      });
    }
    case "multi": {
      const text = texts[0] ?? "";
      if (text === "") return ABSENT;
      const parsed = tryParseJson(text);
      return parsed !== NOT_JSON && matchesType(parsed, path.types) ? parsed : text;
    }
    case "object": {
      // Reached only for objects without declared children; see decode().
      const text = texts[0] ?? "";
      if (text === "") return ABSENT;
      const parsed = tryParseJson(text);
      return parsed === NOT_JSON ? text : parsed;
    }
  }
}

/** Assigns without ever touching a prototype (a schema may name a property `__proto__`). */
function assignOwn(target: JsonObject, key: string, value: unknown) {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function hasPath(root: JsonObject, segments: readonly string[]): boolean {
  let current: unknown = root;
  for (const segment of segments) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return false;
    current = current[segment];
  }
  return true;
}

/** Sets a nested value, creating objects on the way; gives up below a non-object. */
function setPath(root: JsonObject, segments: readonly string[], value: unknown) {
  let current = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    let next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (next === undefined) {
      next = {};
      assignOwn(current, segment, next);
    }
    if (!isPlainObject(next)) return;
    current = next;
  }
  assignOwn(current, segments[segments.length - 1]!, value);
}

/** Kratos's decoder follows recursive `$ref`s this many times (maxCircularReferenceDepth). */
const DECODER_MAX_RECURSION = 5;

export interface PayloadDecoder {
  /** The typed paths of the payload schema, sorted by name. */
  readonly paths: readonly SchemaPath[];
  /** §5.2 steps 2–4: keeps schema paths, types each value, fills absent objects with `{}`. */
  decode(values: FormValues): Record<string, unknown>;
}

/** Precomputes a payload schema's paths once; the returned decoder is cheap per request. */
export function compilePayloadDecoder(payloadSchema: object): PayloadDecoder {
  const paths = listSchemaPaths(payloadSchema, { maxRecursion: DECODER_MAX_RECURSION });
  const names = paths.map((p) => p.name);
  const byName = new Map<string, CompiledPath>();
  for (const p of paths) {
    const prefix = `${p.name}.`;
    byName.set(p.name, {
      name: p.name,
      segments: p.name.split("."),
      kind: p.kind,
      required: p.required,
      types: p.types,
      hasChildren: p.kind === "object" && names.some((n) => n.startsWith(prefix)),
    });
  }
  // Sorted by name, so a parent object is filled before its children (`traits` before `traits.name`).
  const objectPaths = [...byName.values()].filter((p) => p.kind === "object");

  function decode(values: FormValues): Record<string, unknown> {
    const leaves: FormValues = new Map();
    const wholes: [CompiledPath, string][] = [];
    for (const [key, texts] of values) {
      const path = byName.get(key);
      if (!path) continue; // unknown keys are dropped silently
      if (path.kind === "object") {
        // Objects are inserted whole, as Kratos does (contract §5.2): a nested JSON body keeps its
        // types, so `{"traits":{"age":"x"}}` or an undeclared key fails validation instead of being
        // coerced or dropped. Only flat `traits.a.b` keys go through per-leaf coercion.
        if ((texts[0] ?? "") === "" && path.hasChildren) continue;
        wholes.push([path, texts[0] ?? ""]);
      } else {
        appendValues(leaves, key, texts);
      }
    }

    const result: JsonObject = {};
    for (const [key, texts] of leaves) {
      const path = byName.get(key)!;
      const value = coerce(path, texts);
      if (value !== ABSENT) setPath(result, path.segments, value);
    }
    // Whole values never overwrite what their declared children already produced.
    for (const [path, text] of wholes) {
      const value = coerce({ ...path, hasChildren: false }, [text]);
      if (value !== ABSENT && !hasPath(result, path.segments)) setPath(result, path.segments, value);
    }
    for (const path of objectPaths) {
      if (!hasPath(result, path.segments)) setPath(result, path.segments, {});
    }
    return result;
  }

  return { paths, decode };
}

// ---------------------------------------------------------------------------------------------
// Payload schemas (copied from Kratos into schemas/payloads/)
// ---------------------------------------------------------------------------------------------

/**
 * The profile method's payload schema: Kratos's profile payload with `properties.traits` replaced
 * by the identity schema's traits schema. The identity schema's `definitions`/`$defs` come along
 * so local `$ref`s inside the traits keep resolving (`#/properties/traits/...` refs resolve too,
 * since traits sits at the same place).
 */
export function profilePayloadSchema(identitySchema: object): Record<string, unknown> {
  const identity = identitySchema as JsonObject;
  const payload = structuredClone(profilePayload) as JsonObject;
  const identityProperties = isPlainObject(identity.properties) ? identity.properties : {};
  (payload.properties as JsonObject).traits = structuredClone(identityProperties.traits ?? {});
  for (const key of ["definitions", "$defs"]) {
    if (isPlainObject(identity[key])) payload[key] = structuredClone(identity[key]);
  }
  return payload;
}

/** The password method's payload schema (a fresh copy; callers may hand it to a validator). */
export function passwordPayloadSchema(): Record<string, unknown> {
  return structuredClone(passwordPayload) as Record<string, unknown>;
}

/** The OIDC link/unlink payload schema (a fresh copy). */
export function oidcPayloadSchema(): Record<string, unknown> {
  return structuredClone(oidcPayload) as Record<string, unknown>;
}
