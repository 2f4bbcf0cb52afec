import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { configJsonSchema, renderConfigJsonSchema } from "../../server/config/write-json-schema.ts";

const committed = readFileSync(new URL("../../schemas/config.schema.json", import.meta.url), "utf8");

test("schemas/config.schema.json is what `npm run config:schema` generates now", () => {
  assert.equal(committed, renderConfigJsonSchema(), "run `npm run config:schema` and commit the result");
});

test("the JSON schema describes the config for editors", () => {
  const schema = configJsonSchema() as {
    title?: string;
    additionalProperties?: unknown;
    properties: Record<
      string,
      { properties?: Record<string, { properties?: Record<string, { default?: unknown }> }> }
    >;
  };
  assert.equal(schema.title, "Tessera configuration");
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.serve?.properties?.public?.properties?.port?.default, 4433);
  assert.deepEqual(JSON.parse(committed), schema);
});
