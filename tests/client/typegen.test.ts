/**
 * `npm run types`: the traits of every configured identity schema as a TypeScript type and a zod
 * schema. Runs the command as a user does (a child process with a configuration file), then checks
 * the written types and uses the zod schemas on good and bad traits.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { z } from "zod";
import { typeNameOf } from "../../server/typegen/traits.ts";
import { ROOT } from "./frontend.ts";

const run = promisify(execFile);

const customer = {
  $schema: "http://json-schema.org/draft-07/schema#",
  definitions: {
    address: {
      type: "object",
      properties: { city: { type: "string" }, zip: { type: "string", pattern: "^[0-9]{5}$" } },
      required: ["city"],
      additionalProperties: false,
    },
  },
  type: "object",
  properties: {
    traits: {
      type: "object",
      properties: {
        email: {
          type: "string",
          format: "email",
          title: "E-Mail",
          "ory.sh/kratos": { credentials: { password: { identifier: true } } },
        },
        plan: { enum: ["free", "pro"] },
        age: { type: "integer", minimum: 18 },
        newsletter: { type: "boolean" },
        tags: { type: "array", items: { type: "string" } },
        "billing-address": { $ref: "#/definitions/address" },
      },
      required: ["email", "plan"],
      additionalProperties: false,
    },
  },
};

test("npm run types writes a type and a zod schema per configured identity schema", {
  timeout: 180_000,
}, async (t) => {
  // Inside the repository, so the written files can import zod from its node_modules.
  const dir = join(ROOT, "test-output", "typegen");
  mkdirSync(join(ROOT, "test-output"), { recursive: true });
  const work = mkdtempSync(`${dir}-`);
  t.after(() => rmSync(work, { recursive: true, force: true }));
  writeFileSync(join(work, "customer.schema.json"), JSON.stringify(customer));
  writeFileSync(
    join(work, "tessera.yml"),
    [
      "identity:",
      "  default_schema_id: customer-v2",
      "  schemas:",
      "    - { id: customer-v2, url: file://./customer.schema.json }",
      "    - { id: default, url: file://../../schemas/default.identity.schema.json }",
      "",
    ].join("\n"),
  );
  const out = join(work, "generated");
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "server/typegen/command.ts", "--config", join(work, "tessera.yml"), "--out", out],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? "" } },
  );
  assert.match(stdout, /wrote .*traits\.ts and .*traits\.zod\.ts/);

  const types = readFileSync(join(out, "traits.ts"), "utf8");
  assert.match(types, /export type CustomerV2Traits = \{/);
  assert.match(types, /\n {2}email: string;/);
  assert.match(types, /\n {2}plan: "free" \| "pro";/);
  assert.match(types, /\n {2}age\?: number \| undefined;/);
  assert.match(types, /\n {2}tags\?: string\[\] \| undefined;/);
  assert.match(
    types,
    /\n {2}"billing-address"\?: \{\n {4}city: string;\n {4}zip\?: string \| undefined;\n {2}\} \| undefined;/,
  );
  assert.match(types, /export type DefaultTraits = \{/);
  assert.match(
    types,
    /export type TraitsBySchemaId = \{\n {2}"customer-v2": CustomerV2Traits;\n {2}default: DefaultTraits;\n\};/,
  );
  assert.match(types, /export type Traits = CustomerV2Traits;/);

  const zod = (await import(pathToFileURL(join(out, "traits.zod.ts")).href)) as Record<string, z.ZodType>;
  const schema = zod.customerV2Traits!;
  assert.equal(zod.traits, schema, "`traits` is the default schema's");
  const good = {
    email: "ada@example.com",
    plan: "pro",
    age: 36,
    "billing-address": { city: "London", zip: "12345" },
  };
  assert.deepEqual(schema.parse(good), good);
  for (const bad of [
    { ...good, plan: "enterprise" }, // not in the enum
    { ...good, email: "not-an-email" },
    { ...good, age: 12 }, // below the minimum
    { ...good, "billing-address": { city: "London", zip: "1" } }, // pattern
    { ...good, nickname: "ada" }, // additionalProperties: false
    { plan: "free" }, // email is required
  ]) {
    assert.equal(schema.safeParse(bad).success, false, JSON.stringify(bad));
  }
  // The default schema's `name` object is open in JSON Schema: extra keys pass zod, as they pass Tessera.
  assert.equal(
    zod.defaultTraits!.safeParse({ email: "a@b.co", name: { first: "A", nick: "x" } }).success,
    true,
  );
});

test("npm run types refuses unknown arguments and a missing --out, naming the usage", async () => {
  for (const args of [["--out"], ["--frobnicate"]]) {
    const failed = await run(process.execPath, ["--import", "tsx", "server/typegen/command.ts", ...args], {
      cwd: ROOT,
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    assert.ok(failed, `${args.join(" ")} fails`);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /usage: npm run types -- --out DIR/);
  }
});

test("schema ids become type names", () => {
  assert.equal(typeNameOf("default"), "Default");
  assert.equal(typeNameOf("customer-v2"), "CustomerV2");
  assert.equal(typeNameOf("2fa users"), "Schema2faUsers");
});
