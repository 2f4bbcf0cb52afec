/**
 * The typed paths of a JSON schema: the equivalent of Kratos's jsonschemax.ListPaths, over the raw
 * schema JSON. Node builders (which inputs a profile form has) and the payload decoder (how each
 * submitted value is typed) both read a schema through this list.
 */
type JsonObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

export function jsonTypeOf(value: unknown): string {
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
