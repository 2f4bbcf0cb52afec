/**
 * Typing form values by a method's payload schema (contract §5.2 steps 2–4), and the payload
 * schemas themselves: schemas/payloads/*.json, generated from the zod bodies in shared/bodies.ts
 * by `npm run payload:schemas` (the same shapes as Kratos's payload schemas).
 *
 * Kratos types every form value by the path it names in the payload schema. A nested JSON object
 * sent for an object path is inserted whole, as Kratos does, so `{"traits":{"age":"x"}}` fails
 * validation instead of being coerced; only flat `traits.a.b` keys go through per-leaf coercion.
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

import { appendValues, type FormValues } from "./form-values.ts";
import { jsonTextBoundsError } from "./json-bounds.ts";
import { jsonTypeOf, listSchemaPaths, type PathKind, type SchemaPath } from "./schema-paths.ts";

type JsonObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

/** JSON inside a form value; text over the bounds stays text (validation then refuses it). */
function tryParseJson(text: string): unknown {
  if (jsonTextBoundsError(text) !== undefined) return NOT_JSON;
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
// Payload schemas (generated from shared/bodies.ts into schemas/payloads/)
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
