import assert from "node:assert/strict";
import { describe, test } from "node:test";
import payloadPasswordSchema from "../../schemas/payloads/payload-password-settings.schema.json" with {
  type: "json",
};
import { createAjv } from "../../server/identity/ajv.ts";
import type { SchemaEntry } from "../../server/identity/registry.ts";
import {
  pointerToPath,
  type TraitIssue,
  validateDocument,
  validateTraits,
} from "../../server/identity/validate.ts";
import { identitySchema, loadDefaultEntry, loadEntry } from "./fixtures.ts";

/** Validates `{field: value}` against a one-property schema and returns the issues. */
async function issuesFor(property: Record<string, unknown>, value: unknown): Promise<TraitIssue[]> {
  const entry = await loadEntry(identitySchema({ field: property }));
  return validateTraits(entry, { field: value });
}

async function single(property: Record<string, unknown>, value: unknown): Promise<TraitIssue> {
  const issues = await issuesFor(property, value);
  assert.equal(issues.length, 1, JSON.stringify(issues));
  return issues[0] as TraitIssue;
}

describe("validateTraits: the seed's cases", () => {
  let quickstart: SchemaEntry;

  test("quickstart schema: an invalid email is 4000040 on traits.email with the value as context", async () => {
    quickstart = await loadDefaultEntry();
    assert.deepEqual(validateTraits(quickstart, { email: "not-an-email" }), [
      {
        path: "traits.email",
        message: {
          id: 4000040,
          text: "Enter a valid email address",
          type: "error",
          context: { value: "not-an-email" },
        },
      },
    ]);
  });

  test("quickstart schema: a missing email is 4000002 on traits.email", () => {
    assert.deepEqual(validateTraits(quickstart, {}), [
      {
        path: "traits.email",
        message: {
          id: 4000002,
          text: "Property email is missing.",
          type: "error",
          context: { property: "email" },
        },
      },
    ]);
  });

  test("quickstart schema: valid traits yield no issues", () => {
    assert.deepEqual(validateTraits(quickstart, { email: "ann@example.com", name: { first: "Ann" } }), []);
  });

  test("name.first with minLength 5 and value abc is 4000003 with lengths in context", async () => {
    const entry = await loadEntry(
      identitySchema({ name: { type: "object", properties: { first: { type: "string", minLength: 5 } } } }),
    );
    assert.deepEqual(validateTraits(entry, { name: { first: "abc" } }), [
      {
        path: "traits.name.first",
        message: {
          id: 4000003,
          text: "length must be >= 5, but got 3",
          type: "error",
          context: { min_length: 5, actual_length: 3 },
        },
      },
    ]);
  });
});

describe("validateTraits: keyword table (contract §8.2)", () => {
  test("required: one message per missing property, on the missing property's path", async () => {
    const entry = await loadEntry(
      identitySchema(
        {
          email: { type: "string" },
          name: {
            type: "object",
            properties: { first: { type: "string" }, last: { type: "string" } },
            required: ["first", "last"],
          },
        },
        { required: ["email", "name"] },
      ),
    );
    const issues = validateTraits(entry, { name: {} });
    assert.deepEqual(
      issues.map((i) => [i.path, i.message.id, i.message.text]),
      [
        ["traits.email", 4000002, "Property email is missing."],
        ["traits.name.first", 4000002, "Property first is missing."],
        ["traits.name.last", 4000002, "Property last is missing."],
      ],
    );
  });

  test("minLength counts Unicode code points", async () => {
    const issue = await single({ type: "string", minLength: 3 }, "😀é");
    assert.equal(issue.message.text, "length must be >= 3, but got 2");
    assert.deepEqual(issue.message.context, { min_length: 3, actual_length: 2 });
    assert.deepEqual(await issuesFor({ type: "string", minLength: 3 }, "😀😀😀"), []);
  });

  test("maxLength is 4000017", async () => {
    const issue = await single({ type: "string", maxLength: 2 }, "abc");
    assert.deepEqual(issue.message, {
      id: 4000017,
      text: "length must be <= 2, but got 3",
      type: "error",
      context: { max_length: 2, actual_length: 3 },
    });
  });

  test("pattern is 4000004 with Go %q quoting", async () => {
    const issue = await single({ type: "string", pattern: "^a+$" }, "b");
    assert.deepEqual(issue.message, {
      id: 4000004,
      text: 'does not match pattern "^a+$"',
      type: "error",
      context: { pattern: "^a+$" },
    });
    const escaped = await single({ type: "string", pattern: "^\\d+$" }, "x");
    assert.equal(escaped.message.text, 'does not match pattern "^\\\\d+$"');
    assert.deepEqual(escaped.message.context, { pattern: "^\\d+$" });
  });

  test("minimum, exclusiveMinimum, maximum, exclusiveMaximum use Go number formatting", async () => {
    assert.deepEqual((await single({ type: "number", minimum: 1200 }, 5)).message, {
      id: 4000018,
      text: "must be >= 1200 but found 5",
      type: "error",
      context: { minimum: 1200, actual: 5 },
    });
    assert.deepEqual((await single({ type: "number", exclusiveMinimum: 0 }, 0)).message, {
      id: 4000019,
      text: "must be > 0 but found 0",
      type: "error",
      context: { minimum: 0, actual: 0 },
    });
    assert.deepEqual((await single({ type: "number", maximum: 300 }, 301.5)).message, {
      id: 4000020,
      text: "must be <= 300 but found 301.5",
      type: "error",
      context: { maximum: 300, actual: 301.5 },
    });
    assert.deepEqual((await single({ type: "number", exclusiveMaximum: 2.5 }, 3)).message, {
      id: 4000021,
      text: "must be < 2.5 but found 3",
      type: "error",
      context: { maximum: 2.5, actual: 3 },
    });
    assert.equal(
      (await single({ type: "number", maximum: 1000000 }, 2000000)).message.text,
      "must be <= 1e+06 but found 2000000",
    );
  });

  test("multipleOf is 4000022 (actual, then base); decimal bases work", async () => {
    assert.deepEqual((await single({ type: "number", multipleOf: 5 }, 7)).message, {
      id: 4000022,
      text: "7 not multipleOf 5",
      type: "error",
      context: { base: 5, actual: 7 },
    });
    assert.deepEqual(await issuesFor({ type: "number", multipleOf: 0.1 }, 0.3), []);
  });

  test("maxItems, minItems and uniqueItems", async () => {
    assert.deepEqual((await single({ type: "array", maxItems: 1 }, ["a", "b"])).message, {
      id: 4000023,
      text: "maximum 1 items allowed, but found 2 items",
      type: "error",
      context: { max_items: 1, actual_items: 2 },
    });
    assert.deepEqual((await single({ type: "array", minItems: 2 }, ["a"])).message, {
      id: 4000024,
      text: "minimum 2 items allowed, but found 1 items",
      type: "error",
      context: { min_items: 2, actual_items: 1 },
    });
    assert.deepEqual((await single({ type: "array", uniqueItems: true }, ["a", "b", "a"])).message, {
      id: 4000025,
      text: "items at index 0 and 2 are equal",
      type: "error",
      context: { index_a: 0, index_b: 2 },
    });
  });

  test("items errors land on the item's path", async () => {
    const issue = await single({ type: "array", items: { type: "string", minLength: 2 } }, ["ok", "x"]);
    assert.equal(issue.path, "traits.field.1");
    assert.equal(issue.message.id, 4000003);
  });

  test("type is 4000026 with allowed types joined by 'or'; siblings of a failed type stay quiet", async () => {
    assert.deepEqual((await single({ type: "number" }, "this-is-not-a-number")).message, {
      id: 4000026,
      text: "expected number, but got string",
      type: "error",
      context: { allowed_types: ["number"], actual_type: "string" },
    });
    const multi = await single({ type: ["string", "null"], enum: ["a", null] }, 5);
    assert.equal(multi.message.text, "expected string or null, but got number");
    assert.deepEqual(multi.message.context, { allowed_types: ["string", "null"], actual_type: "number" });
    assert.equal((await single({ type: "integer" }, 2.5)).message.text, "expected integer, but got number");
    assert.equal((await single({ type: "boolean" }, [])).message.text, "expected boolean, but got array");
    assert.equal((await single({ type: "string" }, null)).message.text, "expected string, but got null");
  });

  test("const: scalars are 4000029 with Go %#v rendering, objects and arrays 4000030", async () => {
    assert.deepEqual((await single({ const: "yes" }, "no")).message, {
      id: 4000029,
      text: 'must be equal to constant "yes"',
      type: "error",
      context: { expected: "yes" },
    });
    assert.equal((await single({ const: 5 }, 6)).message.text, 'must be equal to constant "5"');
    assert.equal((await single({ const: true }, false)).message.text, "must be equal to constant true");
    assert.deepEqual((await single({ const: { a: 1 } }, { a: 2 })).message, {
      id: 4000030,
      text: "const failed",
      type: "error",
    });
  });

  test("format email and email_loose are 4000040, tel is 4000041, both with the value", async () => {
    assert.deepEqual((await single({ type: "string", format: "email" }, "a@b@")).message, {
      id: 4000040,
      text: "Enter a valid email address",
      type: "error",
      context: { value: "a@b@" },
    });
    assert.equal((await single({ type: "string", format: "email_loose" }, "nope")).message.id, 4000040);
    assert.deepEqual(await issuesFor({ type: "string", format: "email_loose" }, "a@b"), []);
    assert.deepEqual((await single({ type: "string", format: "tel" }, "12345")).message, {
      id: 4000041,
      text: "Enter a valid phone number",
      type: "error",
      context: { value: "12345" },
    });
    assert.deepEqual(await issuesFor({ type: "string", format: "tel" }, "+49 176 12345678"), []);
  });

  test("other formats are 4000001 with the Go validator's reason", async () => {
    assert.deepEqual((await single({ type: "string", format: "date" }, "2020-13-01")).message, {
      id: 4000001,
      text: '"2020-13-01" is not valid "date"',
      type: "error",
      context: { reason: '"2020-13-01" is not valid "date"' },
    });
    assert.equal(
      (await single({ type: "string", format: "uri" }, "not a uri")).message.text,
      '"not a uri" is not valid "uri"',
    );
    assert.equal(
      (await single({ type: "string", format: "date-time" }, "2020-01-01")).message.text,
      '"2020-01-01" is not valid "date-time"',
    );
    for (const [format, valid] of [
      ["date", "2020-02-29"],
      ["date-time", "2020-01-01T10:00:00Z"],
      ["time", "10:00:00+02:00"],
      ["uri", "https://example.com/x"],
      ["hostname", "example.com"],
      ["ipv4", "127.0.0.1"],
      ["ipv6", "::1"],
      ["regex", "^a+$"],
      ["uri-reference", "/relative/path"],
      ["json-pointer", "/a/b"],
      ["no-validate", "anything at all"],
      ["made-up-format", "unknown formats are ignored"],
    ]) {
      assert.deepEqual(await issuesFor({ type: "string", format }, valid), [], `${format}: ${valid}`);
    }
  });

  test("enum is 4000001: several values, a single value", async () => {
    assert.deepEqual((await single({ enum: ["a", "b"] }, "c")).message, {
      id: 4000001,
      text: 'value must be one of "a", "b"',
      type: "error",
      context: { reason: 'value must be one of "a", "b"' },
    });
    assert.equal((await single({ enum: ["a"] }, "c")).message.text, 'value must be "a"');
    assert.equal(
      (await single({ enum: [1, true, null] }, "c")).message.text,
      'value must be one of "1", true, <nil>',
    );
  });

  test("additionalProperties is one 4000001 on the object, naming every extra key", async () => {
    const entry = await loadEntry(
      identitySchema({ email: { type: "string" } }, { additionalProperties: false }),
    );
    assert.deepEqual(validateTraits(entry, { email: "a", x: 1, y: 2 }), [
      {
        path: "traits",
        message: {
          id: 4000001,
          text: 'additionalProperties "x", "y" not allowed',
          type: "error",
          context: { reason: 'additionalProperties "x", "y" not allowed' },
        },
      },
    ]);
  });

  test("combinators: oneOf with several matches, not, anyOf reports its causes", async () => {
    assert.equal(
      (await single({ oneOf: [{ type: "string" }, { minLength: 1 }] }, "x")).message.text,
      "valid against schemas at indexes 0 and 1",
    );
    assert.equal((await single({ not: { const: "x" } }, "x")).message.text, "not failed");
    const causes = await issuesFor({ anyOf: [{ type: "string", minLength: 3 }, { type: "number" }] }, "x");
    assert.deepEqual(
      causes.map((i) => i.message.id),
      [4000003, 4000026],
    );
  });

  test("other keywords fall back to 4000001 with Go-like wording", async () => {
    assert.equal(
      (await single({ type: "object", minProperties: 2 }, { a: 1 })).message.text,
      "minimum 2 properties allowed, but found 1 properties",
    );
    assert.equal(
      (await single({ type: "object", dependencies: { a: ["b"] } }, { a: 1 })).message.text,
      'property "b" is required, if "a" property exists',
    );
  });

  test("errors reached through $ref, allOf and if/then keep the instance path", async () => {
    const entry = await loadEntry({
      ...identitySchema({ age: { $ref: "#/definitions/age" } }),
      definitions: { age: { allOf: [{ type: "number" }, { minimum: 18 }] } },
    });
    const [issue] = validateTraits(entry, { age: 3 });
    assert.equal(issue?.path, "traits.age");
    assert.equal(issue?.message.text, "must be >= 18 but found 3");

    const conditional = await loadEntry({
      type: "object",
      properties: {
        traits: {
          type: "object",
          properties: { kind: { type: "string" }, vat: { type: "string" } },
          if: { properties: { kind: { const: "company" } }, required: ["kind"] },
          // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword, not a thenable
          then: { required: ["vat"] },
        },
      },
    });
    assert.deepEqual(validateTraits(conditional, { kind: "person" }), []);
    assert.deepEqual(
      validateTraits(conditional, { kind: "company" }).map((i) => [i.path, i.message.text]),
      [["traits.vat", "Property vat is missing."]],
    );
  });
});

describe("validateDocument and pointers", () => {
  test("a missing password is 4000002 on the password node", () => {
    const validate = createAjv().compile(payloadPasswordSchema);
    assert.deepEqual(validateDocument(validate, { method: "password" }), [
      {
        path: "password",
        message: {
          id: 4000002,
          text: "Property password is missing.",
          type: "error",
          context: { property: "password" },
        },
      },
    ]);
    assert.deepEqual(validateDocument(validate, { password: "x" }), []);
  });

  test("errors on the document root are global (path '')", () => {
    const validate = createAjv().compile({ type: "object", additionalProperties: false });
    const issues = validateDocument(validate, { bogus: 1 });
    assert.equal(issues[0]?.path, "");
    assert.equal(issues[0]?.message.text, 'additionalProperties "bogus" not allowed');
    assert.equal(validateDocument(validate, "text")[0]?.path, "");
  });

  test("pointerToPath", () => {
    assert.equal(pointerToPath("#"), "");
    assert.equal(pointerToPath("#/"), "");
    assert.equal(pointerToPath(""), "");
    assert.equal(pointerToPath("#/traits/email"), "traits.email");
    assert.equal(pointerToPath("/traits/name/first"), "traits.name.first");
    assert.equal(pointerToPath("/traits/a~1b/c~0d"), "traits.a/b.c~d");
  });
});
