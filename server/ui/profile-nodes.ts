/**
 * The profile method's nodes, derived from the identity JSON schema (contract §3.4).
 *
 * `compileProfileNodes` and `schemaKeyOrder` run once per identity schema at start; per request,
 * `profileNodes` only copies the precomputed fields and writes the identity's trait values in.
 */

import type { InputNode, UiText } from "#shared/ui.ts";
import { listSchemaPaths, type PathKind, type SchemaPath } from "../decoding/schema-paths.ts";
import { message } from "./messages.ts";
import { type InputOptions, inputNode } from "./nodes.ts";

/** The `method=profile` button's label (1070003 "Save"); frozen, so every render can share it. */
const SAVE_LABEL: UiText = Object.freeze(message(1070003));

/** Kratos lists at most this many enum values as `options`. */
const MAX_ENUM_OPTIONS = 500;

/** Path kinds that become an input; objects, arrays of objects and multi-typed paths do not. */
const INPUT_KIND: Partial<Record<PathKind, string>> = {
  string: "text",
  number: "number",
  boolean: "checkbox",
  stringArray: "text",
  numberArray: "text",
  booleanArray: "text",
};

/** `format` overrides of the input type, with the autocomplete hint some of them carry. */
const FORMAT_INPUT: Record<string, { type: string; autocomplete?: string }> = {
  email: { type: "email", autocomplete: "email" },
  tel: { type: "tel", autocomplete: "tel" },
  date: { type: "date" },
  "date-time": { type: "datetime-local" },
  uri: { type: "url", autocomplete: "url" },
  regex: { type: "text" },
};

interface ProfileField {
  readonly name: string;
  readonly type: string;
  /** Everything but the value; the label and options objects are frozen and shared by all requests. */
  readonly options: Readonly<InputOptions>;
}

export interface ProfileNodeTemplate {
  /** One field per trait leaf path, sorted by name. */
  readonly fields: readonly ProfileField[];
  /** Field position by node name, for filling values. */
  readonly indexByName: ReadonlyMap<string, number>;
}

function fieldFromPath(path: SchemaPath): ProfileField | undefined {
  const baseType = INPUT_KIND[path.kind];
  if (baseType === undefined) return undefined;
  const byFormat = path.format !== undefined ? FORMAT_INPUT[path.format] : undefined;
  const options: InputOptions = {};
  if (path.required) options.required = true;
  if (byFormat?.autocomplete) options.autocomplete = byFormat.autocomplete;
  if (path.pattern) options.pattern = path.pattern;
  if (path.enum) {
    options.options = Object.freeze(
      path.enum.slice(0, MAX_ENUM_OPTIONS).map((value) => Object.freeze({ value })),
    ) as { value: unknown }[];
  }
  if (path.title)
    options.label = freezeLabel(message(1070002, [path.title], { title: path.title, name: path.name }));
  return { name: path.name, type: byFormat?.type ?? baseType, options: Object.freeze(options) };
}

function freezeLabel(label: UiText): UiText {
  if (label.context) Object.freeze(label.context);
  return Object.freeze(label);
}

/** Which fields a form leaves out or shows without letting them change (server/identity/trait-policy.ts). */
export interface FieldRestrictions {
  readonly hidden?: (name: string) => boolean;
  readonly disabled?: (name: string) => boolean;
}

/** Precomputes the profile fields of an identity schema (whole schema, so names start with `traits.`). */
export function compileProfileNodes(
  identitySchema: object,
  restrictions: FieldRestrictions = {},
): ProfileNodeTemplate {
  const fields: ProfileField[] = [];
  for (const path of listSchemaPaths(identitySchema)) {
    if (!path.name.startsWith("traits.") || restrictions.hidden?.(path.name)) continue;
    const field = fieldFromPath(path);
    if (!field) continue;
    fields.push(
      restrictions.disabled?.(path.name)
        ? { ...field, options: Object.freeze({ ...field.options, disabled: true }) }
        : field,
    );
  }
  return { fields, indexByName: new Map(fields.map((f, i) => [f.name, i])) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return (
    value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
  );
}

/** Input type for a trait the schema does not describe, from its JSON value (Kratos's toFormType). */
function typeFromJsonValue(value: unknown): string {
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "checkbox";
  return "text";
}

/**
 * Fresh profile nodes for one render: the schema's fields with values from `traits`, then a node
 * for every trait the schema has no field for, then the `method=profile` submit button.
 *
 * Traits are flattened to dot paths. An array of scalars fills its array field as the array;
 * arrays without a field (or holding objects) flatten by index, as Kratos does. `null` leaves a
 * field without value.
 */
export function profileNodes(
  template: ProfileNodeTemplate,
  traits: Record<string, unknown> | undefined,
): InputNode[] {
  const values: unknown[] = new Array(template.fields.length);
  // Insertion order is first appearance; a repeated name keeps its place and takes the last value.
  const unknownTraits = new Map<string, unknown>();

  const setValue = (name: string, value: unknown) => {
    const index = template.indexByName.get(name);
    if (index !== undefined) values[index] = value;
    else unknownTraits.set(name, value);
  };
  // Depth-first with an explicit stack (children pushed in reverse, so they pop in order): stored
  // traits may nest deeper than any recursion survives, and rendering them must not fail.
  const stack: [string, unknown][] = isPlainObject(traits) ? [["traits", traits]] : [];
  while (stack.length > 0) {
    const [name, value] = stack.pop()!;
    let children: [string, unknown][] | undefined;
    if (isPlainObject(value)) {
      children = Object.entries(value).map(([key, child]) => [`${name}.${key}`, child]);
    } else if (Array.isArray(value)) {
      if (template.indexByName.has(name) && value.every(isScalar)) setValue(name, [...value]);
      else children = value.map((child, i) => [`${name}.${i}`, child]);
    } else {
      setValue(name, value === null ? undefined : value);
    }
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }

  const nodes = template.fields.map((field, i) =>
    inputNode("profile", field.name, field.type, { ...field.options, value: values[i] }),
  );
  for (const [name, value] of unknownTraits) {
    nodes.push(inputNode("profile", name, typeFromJsonValue(value), { value }));
  }
  nodes.push(inputNode("profile", "method", "submit", { value: "profile", label: SAVE_LABEL }));
  return nodes;
}

/**
 * The identity schema's leaf keys in document order, for node sorting (§3.6 step 2): properties
 * of objects declaring `"type": "object"` are walked, anything else is a leaf. The root is always
 * walked (Kratos would yield a single empty key, matching every node, for a root without a type).
 */
export function schemaKeyOrder(identitySchema: object): string[] {
  const keys: string[] = [];
  const walk = (schema: unknown, parents: readonly string[]) => {
    const isObject = isPlainObject(schema) && schema.type === "object";
    if (parents.length > 0 && !isObject) {
      keys.push(parents.join("."));
      return;
    }
    const properties = isPlainObject(schema) ? schema.properties : undefined;
    if (!isPlainObject(properties)) return;
    for (const [name, sub] of Object.entries(properties)) walk(sub, [...parents, name]);
  };
  walk(identitySchema, []);
  return keys;
}
