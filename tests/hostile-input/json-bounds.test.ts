import assert from "node:assert/strict";
import { test } from "node:test";
import { sameJson } from "../../db/mapping.ts";
import {
  jsonTextBoundsError,
  jsonValueBoundsError,
  MAX_JSON_DEPTH,
  truncateDeepJson,
} from "../../server/decoding/json-bounds.ts";
import { profileNodes } from "../../server/ui/profile-nodes.ts";
import { deepJson } from "./support.ts";

function deepValue(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

test("text bounds: depth counts brackets outside strings only", () => {
  assert.equal(jsonTextBoundsError(deepJson(MAX_JSON_DEPTH, "object")), undefined);
  assert.match(jsonTextBoundsError(deepJson(MAX_JSON_DEPTH + 1, "array")) ?? "", /depth of 64/);
  // Brackets, quotes and escapes inside strings are text.
  const inString = JSON.stringify({ a: `${"[".repeat(1000)}\\"{{{{` });
  assert.equal(jsonTextBoundsError(inString), undefined);
  // Siblings do not add up: depth is nesting, not count.
  assert.equal(jsonTextBoundsError(JSON.stringify(Array.from({ length: 1000 }, () => [[1]]))), undefined);
});

test("text bounds: object keys are counted over the whole document", () => {
  const keys = (n: number) =>
    JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, ":"])));
  assert.equal(jsonTextBoundsError(keys(10_000)), undefined);
  assert.match(jsonTextBoundsError(keys(10_001)) ?? "", /10000 object keys/);
});

test("value bounds agree with text bounds, without recursion at depth 100,000", () => {
  const parsed = JSON.parse(deepJson(100_000, "array"));
  assert.match(jsonValueBoundsError(parsed) ?? "", /depth of 64/);
  assert.equal(jsonValueBoundsError(JSON.parse(deepJson(64, "object"))), undefined);
});

test("truncateDeepJson cuts stored data off at a depth and leaves shallow data as it is", () => {
  const shallow = { a: { b: [1, 2, { c: 3 }] } };
  assert.equal(truncateDeepJson(shallow, 10), shallow);
  assert.deepEqual(truncateDeepJson({ a: { b: { c: 1 } }, d: [[1]] }, 2), { a: { b: null }, d: [null] });
  const cut = truncateDeepJson(deepValue(50_000), 256);
  assert.equal(jsonValueBoundsError(cut, 256), undefined);
  assert.ok(JSON.stringify(cut).length > 256 * 5);
  // `__proto__` stays an own key, never a prototype.
  const hostile = JSON.parse('{"__proto__":{"x":{"y":{"z":1}}}}');
  const copy = truncateDeepJson(hostile, 2) as Record<string, unknown>;
  assert.ok(Object.hasOwn(copy, "__proto__"));
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
});

test("sameJson compares values 100,000 deep without recursion", () => {
  assert.equal(sameJson(deepValue(100_000), deepValue(100_000)), true);
  const other = deepValue(100_000);
  assert.equal(sameJson(deepValue(100_000), { ...other, b: 1 }), false);
  assert.equal(sameJson({ a: 1, b: undefined }, { a: 1 }), true);
  assert.equal(sameJson([1, 2], [2, 1]), false);
  assert.equal(sameJson(undefined, undefined), false);
});

test("profile nodes flatten traits 100,000 deep without recursion, in document order", () => {
  const template = { fields: [], indexByName: new Map<string, number>() };
  const nodes = profileNodes(template, { b: deepValue(100_000), c: [1, { d: 2 }] });
  const names = nodes.map((n) => n.attributes.name);
  assert.equal(names.length, 4);
  assert.ok(names[0]!.startsWith("traits.b.a.a"));
  assert.deepEqual(names.slice(1), ["traits.c.0", "traits.c.1.d", "method"]);
});
