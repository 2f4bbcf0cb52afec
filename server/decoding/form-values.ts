/**
 * Request bodies as form values (contract §5.2, "JSON follows form format"): Kratos turns every
 * body, JSON or form, into form values before a method's decoder types them by its payload schema.
 */
import { jsonValueBoundsError } from "./json-bounds.ts";

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

function appendValue(values: FormValues, key: string, value: string) {
  const list = values.get(key);
  if (list) list.push(value);
  else values.set(key, [value]);
}

export function appendValues(values: FormValues, key: string, more: readonly string[]) {
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
  // Bodies read by readBody were bounded as text already; this catches values parsed elsewhere
  // (tRPC) before JSON.stringify below recurses into them.
  const refused = jsonValueBoundsError(body);
  if (refused) return { kind: "decode_error", reason: refused };
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
