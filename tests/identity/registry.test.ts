import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SchemaLoadError, SchemaRegistry, schemaUrlId } from "../../server/identity/registry.ts";
import { BUILT_IN_DEFAULT, base64Url, identitySchema, REFERENCE_SCHEMAS } from "./fixtures.ts";

const options = { defaultSchemaId: "default", builtInDefault: BUILT_IN_DEFAULT };
const minimal = identitySchema({ email: { type: "string" } });

async function loadError(schemas: { id: string; url: string }[], baseDir?: string): Promise<SchemaLoadError> {
  try {
    await SchemaRegistry.load(schemas, { ...options, baseDir });
  } catch (error) {
    assert.ok(error instanceof SchemaLoadError, `expected SchemaLoadError, got ${error}`);
    return error;
  }
  assert.fail("expected the registry to refuse the schema");
}

describe("SchemaRegistry.load", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tessera-schemas-"));
    await writeFile(join(dir, "customer.schema.json"), JSON.stringify(minimal));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("loads file:// URLs, absolute and relative to baseDir, and plain paths", async () => {
    const registry = await SchemaRegistry.load(
      [
        { id: "abs", url: `file://${join(dir, "customer.schema.json")}` },
        { id: "rel", url: "file://customer.schema.json" },
        { id: "dot", url: "file://./customer.schema.json" },
        { id: "plain", url: "customer.schema.json" },
      ],
      { ...options, baseDir: dir },
    );
    assert.deepEqual(registry.ids(), ["abs", "rel", "dot", "plain", "default"]);
    for (const id of ["abs", "rel", "dot", "plain"]) assert.deepEqual(registry.raw(id), minimal);
  });

  test("loads base64:// URLs in the standard and the URL-safe alphabet, padded or not", async () => {
    const schema = identitySchema({ "näme?>>": { type: "string", title: "ü~~~" } });
    const standard = base64Url(schema);
    const urlSafe = base64Url(schema, true);
    assert.notEqual(standard, urlSafe);
    const registry = await SchemaRegistry.load(
      [
        { id: "std", url: standard },
        { id: "safe", url: urlSafe },
        { id: "unpadded", url: standard.replace(/=+$/, "") },
      ],
      options,
    );
    for (const id of ["std", "safe", "unpadded"]) assert.deepEqual(registry.raw(id), schema);
  });

  test("loads http(s) URLs", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/identity.schema.json") res.end(JSON.stringify(minimal));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const registry = await SchemaRegistry.load(
        [{ id: "remote", url: `http://127.0.0.1:${port}/identity.schema.json` }],
        options,
      );
      assert.deepEqual(registry.raw("remote"), minimal);
      const error = await loadError([{ id: "gone", url: `http://127.0.0.1:${port}/missing.json` }]);
      assert.match(error.message, /HTTP 404/);
    } finally {
      server.close();
    }
  });

  test("a missing file names the schema, its URL and the problem on one line", async () => {
    const error = await loadError([{ id: "customer", url: "file://./nope/customer.json" }], dir);
    assert.equal(error.schemaId, "customer");
    assert.equal(error.url, "file://./nope/customer.json");
    assert.match(
      error.message,
      /^identity schema "customer" \(file:\/\/\.\/nope\/customer\.json\): file not found: /,
    );
    assert.ok(error.message.includes(join(dir, "nope", "customer.json")));
    assert.ok(!error.message.includes("\n"));
  });

  test("rejects a schema without traits, or whose traits are not an object", async () => {
    const noTraits = await loadError([
      { id: "x", url: base64Url({ type: "object", properties: { email: { type: "string" } } }) },
    ]);
    assert.match(noTraits.message, /"properties\.traits" with "type": "object"/);
    const notObject = await loadError([
      { id: "x", url: base64Url({ type: "object", properties: { traits: { type: "string" } } }) },
    ]);
    assert.match(notObject.message, /"properties\.traits"/);
  });

  test("rejects invalid JSON, non-objects, bad base64 and unsupported schemes", async () => {
    assert.match((await loadError([{ id: "x", url: "base64://e30x!!" }])).message, /not valid base64/);
    assert.match(
      (await loadError([{ id: "x", url: `base64://${btoa("{nope")}` }])).message,
      /is not valid JSON/,
    );
    assert.match((await loadError([{ id: "x", url: base64Url([1, 2]) }])).message, /not a JSON object/);
    assert.match(
      (await loadError([{ id: "x", url: "ftp://host/x.json" }])).message,
      /unsupported URL scheme/,
    );
  });

  test("rejects schemas that break the identity meta-schema", async () => {
    const badExtension = identitySchema({
      email: { type: "string", "ory.sh/kratos": { credentials: { password: { identifyer: true } } } },
    });
    assert.match(
      (await loadError([{ id: "x", url: base64Url(badExtension) }])).message,
      /identity meta-schema: .*additional properties \(identifyer\)/,
    );
    const badVerificationFormat = identitySchema({
      site: { type: "string", format: "uri", "ory.sh/kratos": { verification: { via: "email" } } },
    });
    assert.match(
      (await loadError([{ id: "x", url: base64Url(badVerificationFormat) }])).message,
      /identity meta-schema: at \/properties\/traits\/properties\/site\/format/,
    );
    const noProperties = { type: "object", properties: { traits: { type: "object", properties: {} } } };
    assert.match((await loadError([{ id: "x", url: base64Url(noProperties) }])).message, /meta-schema/);
  });

  test("rejects schemas Ajv cannot compile and unsupported dialects", async () => {
    const danglingRef = identitySchema({ email: { $ref: "#/definitions/missing" } });
    assert.match(
      (await loadError([{ id: "x", url: base64Url(danglingRef) }])).message,
      /cannot be compiled: .*#\/definitions\/missing/,
    );
    const draft04 = { ...minimal, $schema: "http://json-schema.org/draft-04/schema#" };
    assert.match((await loadError([{ id: "x", url: base64Url(draft04) }])).message, /unsupported "\$schema"/);
  });

  test("rejects an id configured twice", async () => {
    const url = base64Url(minimal);
    const error = await loadError([
      { id: "a", url },
      { id: "a", url },
    ]);
    assert.match(error.message, /configured more than once/);
  });

  test("shortens long inline URLs in messages", async () => {
    const error = await loadError([
      { id: "x", url: base64Url({ type: "object", padding: "x".repeat(200) }) },
    ]);
    assert.ok(error.message.length < 200, error.message);
    assert.ok(error.message.includes("…"));
  });

  test("registers the built-in default under the default id only when none is configured", async () => {
    const builtIn = await SchemaRegistry.load([], { ...options, defaultSchemaId: "customer" });
    assert.deepEqual(builtIn.ids(), ["customer"]);
    assert.equal(builtIn.defaultId, "customer");
    assert.equal(builtIn.defaultEntry.url, `file://${BUILT_IN_DEFAULT}`);
    assert.equal((builtIn.raw("customer") as { title: string }).title, "Person");

    const configured = await SchemaRegistry.load([{ id: "default", url: base64Url(minimal) }], options);
    assert.deepEqual(configured.ids(), ["default"]);
    assert.deepEqual(configured.raw("default"), minimal);
  });

  test("loads every reference schema, including presets that share one $id", async () => {
    const files = (await readdir(REFERENCE_SCHEMAS)).filter((f) => f.endsWith(".identity.schema.json"));
    assert.ok(files.length >= 8);
    const registry = await SchemaRegistry.load(
      files.map((file) => ({
        id: file.replace(".identity.schema.json", ""),
        url: `file://${REFERENCE_SCHEMAS}${file}`,
      })),
      options,
    );
    assert.equal(registry.ids().length, files.length + 1);
  });

  test("compiles 2019-09 and 2020-12 schemas", async () => {
    for (const dialect of [
      "https://json-schema.org/draft/2020-12/schema",
      "https://json-schema.org/draft/2019-09/schema",
    ]) {
      const schema = {
        $schema: dialect,
        $defs: { name: { type: "string", minLength: 2 } },
        type: "object",
        properties: { traits: { type: "object", properties: { name: { $ref: "#/$defs/name" } } } },
      };
      const registry = await SchemaRegistry.load([{ id: "modern", url: base64Url(schema) }], options);
      const entry = registry.get("modern");
      assert.ok(entry);
      assert.equal(entry.validate({ traits: { name: "ab" } }), true);
      assert.equal(entry.validate({ traits: { name: "a" } }), false);
    }
  });
});

describe("schema ids in URLs", () => {
  test("schemaUrlId is base64url without padding", () => {
    assert.equal(schemaUrlId("default"), "ZGVmYXVsdA");
    assert.equal(schemaUrlId("a"), "YQ");
    assert.equal(schemaUrlId("??>"), "Pz8-");
    assert.equal(schemaUrlId("kundenkonto-ü"), Buffer.from("kundenkonto-ü").toString("base64url"));
  });

  test("registry entries carry their URL id and resolveSchemaId accepts both forms", async () => {
    const registry = await SchemaRegistry.load([{ id: "customer/v2", url: base64Url(minimal) }], options);
    const entry = registry.get("customer/v2");
    assert.equal(entry?.urlId, schemaUrlId("customer/v2"));
    assert.equal(registry.resolveSchemaId("customer/v2"), "customer/v2");
    assert.equal(registry.resolveSchemaId(schemaUrlId("customer/v2")), "customer/v2");
    assert.equal(registry.resolveSchemaId("ZGVmYXVsdA"), "default");
    assert.equal(registry.resolveSchemaId("nope"), undefined);
    assert.equal(registry.get("nope"), undefined);
    assert.equal(registry.raw("nope"), undefined);
  });
});
