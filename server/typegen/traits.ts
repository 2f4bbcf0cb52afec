/**
 * From an identity schema's `properties.traits` (JSON Schema) to TypeScript source: a type for the
 * traits and a zod schema for them. Typed are the properties a schema declares; a schema that lets
 * objects carry other keys still gets only its declared keys typed, so a misspelt trait
 * (`name.frist`) stays a compile error. The zod schema follows the JSON Schema's rules instead
 * (closed objects are strict, open ones keep unknown keys).
 */

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name: string) => (IDENT.test(name) ? name : JSON.stringify(name));

/** `customer-v2` → `CustomerV2`: the schema id as a type name. */
export function typeNameOf(schemaId: string): string {
  const words = schemaId.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return /^[0-9]/.test(name) || name === "" ? `Schema${name}` : name;
}

/** The traits part of an identity schema (`properties.traits`), with the root kept for `$ref`s. */
export function traitsOf(schema: Json): { traits: Json; root: Json } {
  const props = isObject(schema.properties) ? schema.properties : {};
  const traits = props.traits;
  if (!isObject(traits)) throw new Error('the schema has no "properties.traits" object');
  return { traits, root: schema };
}

function resolveRef(node: Json, root: Json, seen: readonly string[]): { node: Json; seen: string[] } {
  const ref = node.$ref;
  if (typeof ref !== "string") return { node, seen: [...seen] };
  if (!ref.startsWith("#/")) throw new Error(`$ref ${ref}: only references inside the schema are supported`);
  if (seen.includes(ref)) throw new Error(`$ref ${ref} is recursive; recursive traits cannot be typed`);
  let target: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    const k = part.replaceAll("~1", "/").replaceAll("~0", "~");
    target = isObject(target) ? target[k] : undefined;
  }
  if (!isObject(target)) throw new Error(`$ref ${ref} points nowhere`);
  return resolveRef(target, root, [...seen, ref]);
}

function typesOf(node: Json): string[] {
  if (typeof node.type === "string") return [node.type];
  if (Array.isArray(node.type)) return node.type.filter((t): t is string => typeof t === "string");
  if (isObject(node.properties)) return ["object"];
  if (node.items !== undefined) return ["array"];
  return [];
}

function docOf(node: Json, indent: string): string {
  const parts = [node.title, node.description].filter((s): s is string => typeof s === "string" && s !== "");
  if (parts.length === 0) return "";
  return `${indent}/** ${parts.join(": ").replaceAll("*/", "*\\/")} */\n`;
}

// --- TypeScript ----------------------------------------------------------------------------------

function tsOf(input: Json, root: Json, indent: string, seen: readonly string[]): string {
  const { node, seen: nextSeen } = resolveRef(input, root, seen);
  if ("const" in node) return JSON.stringify(node.const);
  if (Array.isArray(node.enum)) return node.enum.map((v) => JSON.stringify(v)).join(" | ") || "never";
  for (const combinator of ["oneOf", "anyOf"] as const) {
    const list = node[combinator];
    if (Array.isArray(list) && list.length > 0) {
      return list.map((s) => (isObject(s) ? tsOf(s, root, indent, nextSeen) : "unknown")).join(" | ");
    }
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    return node.allOf
      .map((s) => (isObject(s) ? `(${tsOf(s, root, indent, nextSeen)})` : "unknown"))
      .join(" & ");
  }
  const types = typesOf(node);
  if (types.length === 0) return "unknown";
  return types.map((t) => tsOfType(t, node, root, indent, nextSeen)).join(" | ");
}

function tsOfType(type: string, node: Json, root: Json, indent: string, seen: readonly string[]): string {
  switch (type) {
    case "string":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      const items = isObject(node.items) ? tsOf(node.items, root, indent, seen) : "unknown";
      return /^[A-Za-z]+$/.test(items) ? `${items}[]` : `Array<${items}>`;
    }
    case "object": {
      const props = isObject(node.properties) ? node.properties : {};
      const required = new Set(Array.isArray(node.required) ? node.required : []);
      const inner = `${indent}  `;
      const lines = Object.entries(props).map(([name, sub]) => {
        const s = isObject(sub) ? sub : {};
        // `| undefined` on optional traits: what zod's `.optional()` parses to, also under
        // `exactOptionalPropertyTypes`.
        const type = tsOf(s, root, inner, seen);
        const member = required.has(name) ? `: ${type}` : `?: ${type} | undefined`;
        return `${docOf(s, inner)}${inner}${key(name)}${member};`;
      });
      return lines.length === 0 ? "Record<string, unknown>" : `{\n${lines.join("\n")}\n${indent}}`;
    }
    default:
      return "unknown";
  }
}

/** The TypeScript type of a schema's traits, e.g. `{ email: string; name?: { first?: string } }`. */
export function traitsType(schema: Json): string {
  const { traits, root } = traitsOf(schema);
  return tsOf(traits, root, "", []);
}

// --- zod -----------------------------------------------------------------------------------------

function zodOf(input: Json, root: Json, indent: string, seen: readonly string[]): string {
  const { node, seen: nextSeen } = resolveRef(input, root, seen);
  if ("const" in node) return `z.literal(${JSON.stringify(node.const)})`;
  if (Array.isArray(node.enum)) {
    const values = node.enum.map((v) => `z.literal(${JSON.stringify(v)})`);
    return values.length === 1 ? values[0]! : `z.union([${values.join(", ")}])`;
  }
  for (const combinator of ["oneOf", "anyOf"] as const) {
    const list = node[combinator];
    if (Array.isArray(list) && list.length > 0) {
      const parts = list.map((s) => (isObject(s) ? zodOf(s, root, indent, nextSeen) : "z.unknown()"));
      return parts.length === 1 ? parts[0]! : `z.union([${parts.join(", ")}])`;
    }
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    return node.allOf
      .map((s) => (isObject(s) ? zodOf(s, root, indent, nextSeen) : "z.unknown()"))
      .reduce((a, b) => `z.intersection(${a}, ${b})`);
  }
  const types = typesOf(node);
  if (types.length === 0) return "z.unknown()";
  const parts = types.map((t) => zodOfType(t, node, root, indent, nextSeen));
  return parts.length === 1 ? parts[0]! : `z.union([${parts.join(", ")}])`;
}

function zodOfType(type: string, node: Json, root: Json, indent: string, seen: readonly string[]): string {
  const num = (k: string) => (typeof node[k] === "number" ? (node[k] as number) : undefined);
  switch (type) {
    case "string": {
      let s = node.format === "email" ? "z.email()" : "z.string()";
      if (num("minLength") !== undefined) s += `.min(${num("minLength")})`;
      if (num("maxLength") !== undefined) s += `.max(${num("maxLength")})`;
      if (typeof node.pattern === "string") s += `.regex(new RegExp(${JSON.stringify(node.pattern)}, "u"))`;
      return s;
    }
    case "number":
    case "integer": {
      let s = type === "integer" ? "z.number().int()" : "z.number()";
      if (num("minimum") !== undefined) s += `.min(${num("minimum")})`;
      if (num("maximum") !== undefined) s += `.max(${num("maximum")})`;
      return s;
    }
    case "boolean":
      return "z.boolean()";
    case "null":
      return "z.null()";
    case "array": {
      let s = `z.array(${isObject(node.items) ? zodOf(node.items, root, indent, seen) : "z.unknown()"})`;
      if (num("minItems") !== undefined) s += `.min(${num("minItems")})`;
      if (num("maxItems") !== undefined) s += `.max(${num("maxItems")})`;
      return s;
    }
    case "object": {
      const props = isObject(node.properties) ? node.properties : {};
      const required = new Set(Array.isArray(node.required) ? node.required : []);
      const inner = `${indent}  `;
      const lines = Object.entries(props).map(([name, sub]) => {
        const s = zodOf(isObject(sub) ? sub : {}, root, inner, seen);
        return `${inner}${key(name)}: ${required.has(name) ? s : `${s}.optional()`},`;
      });
      const make = node.additionalProperties === false ? "z.strictObject" : "z.looseObject";
      return `${make}({\n${lines.join("\n")}\n${indent}})`;
    }
    default:
      return "z.unknown()";
  }
}

/** The zod schema of a schema's traits, as source text. */
export function traitsZod(schema: Json): string {
  const { traits, root } = traitsOf(schema);
  return zodOf(traits, root, "", []);
}

// --- files ---------------------------------------------------------------------------------------

export interface SchemaSource {
  id: string;
  schema: Json;
}

const HEADER = (what: string) =>
  `// Generated by \`npm run types\` from the configured identity schemas: ${what}.\n// Do not edit; run it again after changing a schema.\n`;

/** `traits.ts`: one type per schema (`<Id>Traits`), and `TraitsBySchemaId`. No imports. */
export function traitsTypesFile(schemas: readonly SchemaSource[], defaultId: string): string {
  const out = [HEADER("the traits of each identity schema, as TypeScript types")];
  for (const { id, schema } of schemas) {
    out.push(`/** The traits of identity schema "${id}". */`);
    out.push(`export type ${typeNameOf(id)}Traits = ${traitsType(schema)};\n`);
  }
  out.push("/** Traits by identity schema id. */");
  out.push("export type TraitsBySchemaId = {");
  for (const { id } of schemas) out.push(`  ${key(id)}: ${typeNameOf(id)}Traits;`);
  out.push("};\n");
  out.push(`/** The traits of the default schema ("${defaultId}"). */`);
  out.push(`export type Traits = ${typeNameOf(defaultId)}Traits;`);
  return `${out.join("\n")}\n`;
}

/** `traits.zod.ts`: one zod schema per identity schema, checked against the types of `traits.ts`. */
export function traitsZodFile(schemas: readonly SchemaSource[], defaultId: string): string {
  const names = schemas.map(({ id }) => `${typeNameOf(id)}Traits`);
  const out = [
    HEADER("zod schemas of the traits of each identity schema"),
    'import { z } from "zod";',
    `import type { ${names.join(", ")} } from "./traits.js";\n`,
  ];
  for (const { id, schema } of schemas) {
    const name = typeNameOf(id);
    out.push(`/** The traits of identity schema "${id}". */`);
    out.push(`export const ${lower(name)}Traits: z.ZodType<${name}Traits> = ${traitsZod(schema)};\n`);
  }
  out.push(`export const traits = ${lower(typeNameOf(defaultId))}Traits;`);
  return `${out.join("\n")}\n`;
}

function lower(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}
