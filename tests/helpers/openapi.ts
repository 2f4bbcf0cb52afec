import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

/**
 * Validates responses against Kratos's OpenAPI document (tests/fixtures/kratos-openapi.json)
 * so tests can assert wire compatibility: `validateAgainstOpenApi("identity", json)` returns
 * readable error strings, empty when the value conforms.
 *
 * The document is OpenAPI 3.0, not JSON Schema, so it is converted once: `nullable: true`
 * becomes a `null` type alternative, and `discriminator` + `oneOf` becomes an if/then per
 * mapped value (clearer errors than `oneOf`, and no false "matches several" failures). With
 * `{ noAdditionalProperties: true }` every object that lists its properties refuses unknown
 * keys, which catches misspelt field names that the lenient spec would let through.
 */

type Node = Record<string, unknown>;

export interface OpenApiValidationOptions {
  noAdditionalProperties?: boolean;
}

/** Kratos's own document, copied byte for byte (tests/fixtures/NOTICE.md says from where). */
const DOCUMENT = fileURLToPath(new URL("../fixtures/kratos-openapi.json", import.meta.url));

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Sub-schema positions of OpenAPI 3.0 schema objects. */
const SINGLE = ["items", "additionalProperties", "not"] as const;
const LISTS = ["allOf", "anyOf", "oneOf"] as const;

function convertSchema(input: unknown, strict: boolean, inAllOf = false): unknown {
  if (!isNode(input)) return input;
  const node: Node = { ...input };
  if (isNode(node.properties)) {
    node.properties = Object.fromEntries(
      Object.entries(node.properties).map(([key, value]) => [key, convertSchema(value, strict)]),
    );
    // allOf members see only part of the object; refusing the rest there would reject valid values.
    if (strict && !inAllOf && node.additionalProperties === undefined) node.additionalProperties = false;
  }
  for (const key of SINGLE) if (isNode(node[key])) node[key] = convertSchema(node[key], strict);
  for (const key of LISTS) {
    const list = node[key];
    if (Array.isArray(list)) node[key] = list.map((item) => convertSchema(item, strict, key === "allOf"));
  }

  const discriminator = node.discriminator;
  if (isNode(discriminator)) {
    delete node.discriminator;
    const mapping = discriminator.mapping;
    const property = String(discriminator.propertyName);
    if (isNode(mapping)) {
      delete node.oneOf;
      const values = Object.keys(mapping);
      node.type ??= "object";
      node.required = [...((node.required as string[] | undefined) ?? []), property];
      node.properties = { ...(isNode(node.properties) ? node.properties : {}), [property]: { enum: values } };
      node.allOf = [
        ...((node.allOf as unknown[] | undefined) ?? []),
        ...values.map((value) => ({
          if: { properties: { [property]: { const: value } }, required: [property] },
          // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, not a thenable
          then: { $ref: mapping[value] },
        })),
      ];
    }
  }

  if (node.nullable === true) {
    delete node.nullable;
    if (typeof node.type === "string") {
      node.type = [node.type, "null"];
      if (Array.isArray(node.enum)) node.enum = [...node.enum, null];
    } else if (node.$ref !== undefined || LISTS.some((key) => node[key] !== undefined)) {
      return { anyOf: [{ type: "null" }, node] };
    }
  } else if (node.nullable !== undefined) delete node.nullable;
  return node;
}

function createValidatorFactory(strict: boolean): (name: string) => ValidateFunction {
  const document = JSON.parse(readFileSync(DOCUMENT, "utf8")) as { components: { schemas: Node } };
  const schemas = Object.fromEntries(
    Object.entries(document.components.schemas).map(([name, schema]) => [
      name,
      convertSchema(schema, strict),
    ]),
  );
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  // Go-specific formats used by the document.
  const unsigned = (max: number) => ({
    type: "number" as const,
    validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= max,
  });
  ajv.addFormat("uint8", unsigned(255));
  ajv.addFormat("uint32", unsigned(2 ** 32 - 1));
  ajv.addFormat("uint64", unsigned(Number.MAX_SAFE_INTEGER));
  const uuid = ajv.formats.uuid;
  if (uuid) ajv.addFormat("uuid4", uuid);
  ajv.addSchema({ components: { schemas } }, "openapi");
  const compiled = new Map<string, ValidateFunction>();
  return (name) => {
    let validate = compiled.get(name);
    if (!validate) {
      if (!(name in schemas)) throw new Error(`the OpenAPI document has no schema named "${name}"`);
      validate = ajv.compile({ $ref: `openapi#/components/schemas/${name}` });
      compiled.set(name, validate);
    }
    return validate;
  };
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || "/";
  const extra =
    error.keyword === "additionalProperties"
      ? ` "${error.params.additionalProperty}"`
      : error.keyword === "enum"
        ? ` ${JSON.stringify(error.params.allowedValues)}`
        : "";
  return `${where}: ${error.message}${extra}`;
}

// Loading and compiling the document takes a moment; do it once per test process and mode.
const factories = new Map<boolean, (name: string) => ValidateFunction>();

/** Validates `value` against `#/components/schemas/<schemaName>`; returns error strings (empty when valid). */
export function validateAgainstOpenApi(
  schemaName: string,
  value: unknown,
  options: OpenApiValidationOptions = {},
): string[] {
  const strict = options.noAdditionalProperties === true;
  let factory = factories.get(strict);
  if (!factory) {
    factory = createValidatorFactory(strict);
    factories.set(strict, factory);
  }
  const validate = factory(schemaName);
  if (validate(value)) return [];
  // "if" errors only say which branch failed; the branch's own errors follow them.
  return [...new Set((validate.errors ?? []).filter((e) => e.keyword !== "if").map(describe))];
}

/**
 * The one quirk of Kratos's document that tests tolerate: `genericError.details` is declared
 * `{type: object, additionalProperties: false}`, i.e. "always empty", yet Kratos fills it (CSRF
 * errors carry `docs`, `hint`, `reject_reason`, contract §9.2; an expired flow carries
 * `redirect_to`) and its SDK types it as `any`. So only the "no additional properties" error
 * reported on a `details` object is ignored; every other error, inside `details` or not, counts.
 */
const DETAILS_DECLARED_EMPTY = /^(?:\/.*)?\/details: must NOT have additional properties/;

/**
 * Asserts that `value` conforms to `#/components/schemas/<name>` of Kratos's OpenAPI document,
 * strictly: objects refuse keys the document does not list (catches misspelt field names). The
 * single tolerated difference is `DETAILS_DECLARED_EMPTY` above. Every test that checks a wire
 * shape uses this function.
 */
export function assertSchema(name: string, value: unknown): void {
  const errors = validateAgainstOpenApi(name, value, { noAdditionalProperties: true }).filter(
    (error) => !DETAILS_DECLARED_EMPTY.test(error),
  );
  assert.deepEqual(errors, [], `${name}: ${errors.join("; ")}\n${JSON.stringify(value, null, 2)}`);
}
