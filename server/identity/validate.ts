import type { ErrorObject, ValidateFunction } from "ajv";
import type { UiText } from "#shared/ui.ts";
import { message, reasonMessage } from "../ui/messages.ts";
import { goNumber, goQuote, goSyntax } from "./go-format.ts";

/**
 * Turns Ajv's validation errors into Kratos's UI messages (contract §8.1/§8.2). Kratos's Go
 * validator words its errors in a fixed way and Kratos maps each keyword to a message id; this
 * module reproduces both from Ajv's structured errors.
 */

/** One message for one place in the document: `path` is a dot path (`traits.email`), "" for global messages. */
export interface TraitIssue {
  path: string;
  message: UiText;
}

/** Converts a JSON pointer (`#/traits/name/first`, `/traits/email`) into a node name; the root is "". */
export function pointerToPath(pointer: string): string {
  const bare = pointer.startsWith("#") ? pointer.slice(1) : pointer;
  if (bare === "" || bare === "/") return "";
  return bare
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"))
    .join(".");
}

function childPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

/** JSON type names as the Go validator reports them (every number is a "number"). */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isComposite(value: unknown): boolean {
  return typeof value === "object" && value !== null;
}

/** Errors that only wrap the errors of their sub-schemas; Kratos reports the causes instead. */
const WRAPPERS = new Set(["anyOf", "allOf", "if", "then", "else", "$ref", "$dynamicRef", "propertyNames"]);

/** Keywords reported once per object in Go (`additionalProperties "a", "b" not allowed`). */
const GROUPED = new Set(["additionalProperties", "unevaluatedProperties"]);

/** The message for one leaf error, or undefined when the error only wraps others. */
function toMessage(error: ErrorObject): UiText | undefined {
  const params = error.params;
  const data: unknown = error.data;
  switch (error.keyword) {
    case "minLength": {
      const actual = [...String(data)].length;
      return message(4000003, [params.limit, actual], { min_length: params.limit, actual_length: actual });
    }
    case "maxLength": {
      const actual = [...String(data)].length;
      return message(4000017, [params.limit, actual], { max_length: params.limit, actual_length: actual });
    }
    case "pattern":
      // The catalog text already has the quotes; Go's %q also escapes inside them.
      return message(4000004, [goQuote(params.pattern).slice(1, -1)], { pattern: params.pattern });
    case "minimum":
      return message(4000018, [goNumber(params.limit), String(data)], {
        minimum: params.limit,
        actual: data,
      });
    case "exclusiveMinimum":
      return message(4000019, [goNumber(params.limit), String(data)], {
        minimum: params.limit,
        actual: data,
      });
    case "maximum":
      return message(4000020, [goNumber(params.limit), String(data)], {
        maximum: params.limit,
        actual: data,
      });
    case "exclusiveMaximum":
      return message(4000021, [goNumber(params.limit), String(data)], {
        maximum: params.limit,
        actual: data,
      });
    case "multipleOf":
      return message(4000022, [String(data), goNumber(params.multipleOf)], {
        base: params.multipleOf,
        actual: data,
      });
    case "maxItems": {
      const actual = (data as unknown[]).length;
      return message(4000023, [params.limit, actual], { max_items: params.limit, actual_items: actual });
    }
    case "minItems": {
      const actual = (data as unknown[]).length;
      return message(4000024, [params.limit, actual], { min_items: params.limit, actual_items: actual });
    }
    case "uniqueItems": {
      const a = Math.min(params.i, params.j);
      const b = Math.max(params.i, params.j);
      return message(4000025, [a, b], { index_a: a, index_b: b });
    }
    case "type": {
      const allowed: string[] = Array.isArray(params.type) ? params.type : String(params.type).split(",");
      const actual = jsonType(data);
      return message(4000026, [allowed.join(" or "), actual], {
        allowed_types: allowed,
        actual_type: actual,
      });
    }
    case "const":
      if (isComposite(params.allowedValue)) return message(4000030);
      return message(4000029, [goSyntax(params.allowedValue)], { expected: params.allowedValue });
    case "format": {
      if (params.format === "email" || params.format === "email_loose") {
        return message(4000040, [], { value: data });
      }
      if (params.format === "tel") return message(4000041, [], { value: data });
      return reasonMessage(`${goQuote(String(data))} is not valid ${goQuote(String(params.format))}`);
    }
    case "enum": {
      const values: unknown[] = params.allowedValues;
      return reasonMessage(
        values.length === 1
          ? `value must be ${goSyntax(values[0])}`
          : `value must be one of ${values.map(goSyntax).join(", ")}`,
      );
    }
    case "minProperties":
      return reasonMessage(
        `minimum ${params.limit} properties allowed, but found ${Object.keys(data as object).length} properties`,
      );
    case "maxProperties":
      return reasonMessage(
        `maximum ${params.limit} properties allowed, but found ${Object.keys(data as object).length} properties`,
      );
    case "dependencies":
    case "dependentRequired":
      return reasonMessage(
        `property ${goQuote(params.missingProperty)} is required, if ${goQuote(params.property)} property exists`,
      );
    case "additionalItems":
    case "items":
      if (params.limit === undefined) return undefined;
      return reasonMessage(
        `only ${params.limit} items are allowed, but found ${(data as unknown[]).length} items`,
      );
    case "oneOf":
      // No branch matched: the branches' own errors are reported instead.
      if (!params.passingSchemas) return undefined;
      return reasonMessage(
        `valid against schemas at indexes ${params.passingSchemas[0]} and ${params.passingSchemas[1]}`,
      );
    case "not":
      return reasonMessage("not failed");
    case "contains":
      return reasonMessage("contains failed");
    case "false schema":
      return reasonMessage("always fail");
    default:
      if (WRAPPERS.has(error.keyword)) return undefined;
      return reasonMessage(error.message ?? `${error.keyword} failed`);
  }
}

/** The node an error belongs to: the instance plus the schema object that holds the keyword. */
function nodeKey(error: ErrorObject): string {
  return `${error.instancePath}\u0000${error.schemaPath.slice(0, error.schemaPath.lastIndexOf("/"))}`;
}

/** Converts Ajv errors (from a validator built with `allErrors` and `verbose`) into UI messages. */
export function issuesFromAjvErrors(errors: readonly ErrorObject[]): TraitIssue[] {
  // Go stops at a failed `type` check; Ajv still runs type-agnostic siblings (enum, const).
  const failedType = new Set<string>();
  for (const error of errors) if (error.keyword === "type") failedType.add(nodeKey(error));

  const issues: TraitIssue[] = [];
  const groups = new Map<string, { issue: TraitIssue; keyword: string; names: string[] }>();
  for (const error of errors) {
    if (error.keyword !== "type" && failedType.has(nodeKey(error))) continue;
    let path = pointerToPath(error.instancePath);
    if (error.propertyName !== undefined) path = childPath(path, error.propertyName);

    if (error.keyword === "required") {
      const name: string = error.params.missingProperty;
      issues.push({ path: childPath(path, name), message: message(4000002, [name], { property: name }) });
      continue;
    }
    if (GROUPED.has(error.keyword)) {
      const key = `${error.instancePath}\u0000${error.schemaPath}`;
      const name = String(error.params.additionalProperty ?? error.params.unevaluatedProperty);
      const group = groups.get(key);
      if (group) group.names.push(name);
      else {
        const issue: TraitIssue = { path, message: reasonMessage("") };
        groups.set(key, { issue, keyword: error.keyword, names: [name] });
        issues.push(issue);
      }
      continue;
    }
    const converted = toMessage(error);
    if (converted) issues.push({ path, message: converted });
  }
  for (const { issue, keyword, names } of groups.values()) {
    issue.message = reasonMessage(`${keyword} ${names.map(goQuote).join(", ")} not allowed`);
  }
  return issues;
}

/** Validates any payload with a compiled validator and returns its messages (empty when valid). */
export function validateDocument(validate: ValidateFunction, doc: unknown): TraitIssue[] {
  if (validate(doc)) return [];
  return issuesFromAjvErrors(validate.errors ?? []);
}

/**
 * Validates traits against an identity schema. The whole identity document `{traits}` is
 * validated, as in Kratos, so paths start with `traits.`.
 */
export function validateTraits(
  entry: { readonly validate: ValidateFunction },
  traits: unknown,
): TraitIssue[] {
  return validateDocument(entry.validate, { traits });
}
