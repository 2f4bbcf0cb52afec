import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import defaultSchema from "../../schemas/default.identity.schema.json" with { type: "json" };
import {
  type FormValues,
  formDataToValues,
  isDecodeError,
  jsonToFormValues,
  parseFormBody,
} from "../../server/decoding/form-values.ts";
import {
  compilePayloadDecoder,
  oidcPayloadSchema,
  passwordPayloadSchema,
  profilePayloadSchema,
} from "../../server/decoding/payload.ts";
import { listSchemaPaths } from "../../server/decoding/schema-paths.ts";

function referenceSchema(name: string): object {
  const url = new URL(`../fixtures/identity-schemas/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as object;
}

function fromJson(body: unknown): FormValues {
  const values = jsonToFormValues(body);
  assert.ok(!isDecodeError(values), "body is an object");
  return values as FormValues;
}

const e2eSchema = referenceSchema("e2e-email-profile.identity.schema.json");
const e2e = compilePayloadDecoder(profilePayloadSchema(e2eSchema));
const quickstart = compilePayloadDecoder(profilePayloadSchema(defaultSchema));

describe("jsonToFormValues (§5.2 step 1)", () => {
  it("turns top-level keys into form values", () => {
    const values = fromJson({
      s: "x",
      n: 1.5,
      t: true,
      z: null,
      o: { a: 1 },
      tags: ["a", 2, false],
      deep: [{ a: 1 }],
    });
    assert.deepEqual(
      [...values],
      [
        ["s", ["x"]],
        ["n", ["1.5"]],
        ["t", ["true"]],
        ["z", [""]],
        ["o", ['{"a":1}']],
        // An array of scalars is the JSON spelling of a repeated form field.
        ["tags", ["a", "2", "false"]],
        ["deep", ['[{"a":1}]']],
      ],
    );
  });

  it("rejects non-object bodies with Kratos's reason", () => {
    for (const [body, type] of [
      [[1], "JSON"],
      [null, "Null"],
      ["x", "String"],
      [3, "Number"],
      [true, "True"],
    ] as const) {
      const result = jsonToFormValues(body);
      assert.ok(isDecodeError(result));
      assert.equal(result.reason, `Expected JSON sent in request body to be an object but got: ${type}`);
    }
  });
});

describe("parseFormBody / formDataToValues", () => {
  it("decodes urlencoded bodies with repeated keys", () => {
    const values = parseFormBody("traits.email=a%40b.co&tags=a&tags=b+c&empty=&flag");
    assert.deepEqual(
      [...values],
      [
        ["traits.email", ["a@b.co"]],
        ["tags", ["a", "b c"]],
        ["empty", [""]],
        ["flag", [""]],
      ],
    );
  });

  it("reads multipart text fields and skips files", () => {
    const fd = new FormData();
    fd.append("method", "profile");
    fd.append("tags", "a");
    fd.append("tags", "b");
    fd.append("avatar", new Blob(["x"]), "a.png");
    assert.deepEqual(
      [...formDataToValues(fd)],
      [
        ["method", ["profile"]],
        ["tags", ["a", "b"]],
      ],
    );
  });
});

describe("PayloadDecoder (§5.2 steps 2–4)", () => {
  it("decodes flat form keys, flat JSON keys and nested JSON identically", () => {
    const form = parseFormBody(
      "method=profile&csrf_token=tok&traits.email=a%40b.co&traits.website=https%3A%2F%2Fory.sh&traits.age=30&traits.tos=true&traits.consent=false",
    );
    const flatJson = fromJson({
      method: "profile",
      csrf_token: "tok",
      "traits.email": "a@b.co",
      "traits.website": "https://ory.sh",
      "traits.age": 30,
      "traits.tos": true,
      "traits.consent": false,
    });
    const nestedJson = fromJson({
      method: "profile",
      csrf_token: "tok",
      traits: { email: "a@b.co", website: "https://ory.sh", age: 30, tos: true, consent: false },
    });
    const expected = {
      method: "profile",
      csrf_token: "tok",
      traits: { email: "a@b.co", website: "https://ory.sh", age: 30, tos: true, consent: false },
      transient_payload: {},
    };
    assert.deepEqual(e2e.decode(form), expected);
    assert.deepEqual(e2e.decode(flatJson), expected);
    assert.deepEqual(e2e.decode(nestedJson), expected);
  });

  it("flat keys are coerced per leaf; nested JSON objects are inserted whole so validation sees their types", () => {
    const traits = {
      email: "",
      website: "https://ory.sh",
      age: "abc",
      tos: "1",
      newsletter: "yes",
      unknown: "x",
    };
    const flat = Object.fromEntries(Object.entries(traits).map(([k, v]) => [`traits.${k}`, v]));
    assert.deepEqual(e2e.decode(fromJson(flat)), {
      traits: { website: "https://ory.sh", age: "abc", tos: true, newsletter: "yes" },
      transient_payload: {},
    });
    // Kratos (contract §5.2): an object value is parsed as raw JSON and inserted whole.
    assert.deepEqual(e2e.decode(fromJson({ traits })), { traits, transient_payload: {} });
  });

  it("nested objects keep what was sent; absent object paths become {} (quickstart name)", () => {
    const nested = quickstart.decode(
      fromJson({ traits: { email: "a@b.co", name: { first: "A", last: "" } } }),
    );
    assert.deepEqual(nested, {
      traits: { email: "a@b.co", name: { first: "A", last: "" } },
      transient_payload: {},
    });
    const flat = quickstart.decode(
      parseFormBody("traits.email=a%40b.co&traits.name.first=A&traits.name.last="),
    );
    assert.deepEqual(flat, { traits: { email: "a@b.co", name: { first: "A" } }, transient_payload: {} });
    assert.deepEqual(quickstart.decode(fromJson({ traits: { email: "a@b.co" } })), {
      traits: { email: "a@b.co", name: {} },
      transient_payload: {},
    });
  });

  it("drops empty strings", () => {
    assert.deepEqual(quickstart.decode(parseFormBody("method=&traits.email=&csrf_token=")), {
      traits: { name: {} },
      transient_payload: {},
    });
  });

  it("keeps an unparseable number raw so validation reports the type", () => {
    assert.deepEqual(e2e.decode(parseFormBody("traits.age=this-is-not-a-number")).traits, {
      age: "this-is-not-a-number",
    });
    assert.deepEqual(e2e.decode(parseFormBody("traits.age=1e3")).traits, { age: 1000 });
    assert.deepEqual(e2e.decode(parseFormBody("traits.age=Infinity")).traits, { age: "Infinity" });
    assert.deepEqual(e2e.decode(parseFormBody("traits.age=")).traits, {});
  });

  it("types booleans with Go's ParseBool; the last repeated value wins", () => {
    for (const t of ["1", "t", "T", "TRUE", "true", "True"]) {
      assert.equal((e2e.decode(parseFormBody(`traits.tos=${t}`)).traits as { tos: unknown }).tos, true, t);
    }
    for (const f of ["0", "f", "F", "FALSE", "false", "False"]) {
      assert.equal((e2e.decode(parseFormBody(`traits.tos=${f}`)).traits as { tos: unknown }).tos, false, f);
    }
    assert.deepEqual(e2e.decode(parseFormBody("traits.tos=on")).traits, { tos: "on" });
    assert.deepEqual(e2e.decode(parseFormBody("traits.tos=false&traits.tos=true")).traits, { tos: true });
    assert.deepEqual(e2e.decode(parseFormBody("traits.tos=")).traits, {});
  });

  it("fills required numbers and booleans left empty with 0 and false", () => {
    const decoder = compilePayloadDecoder({
      type: "object",
      properties: {
        n: { type: "number" },
        i: { type: "integer" },
        b: { type: "boolean" },
        s: { type: "string" },
      },
      required: ["n", "i", "b", "s"],
    });
    assert.deepEqual(decoder.decode(parseFormBody("n=&i=&b=&s=")), { n: 0, i: 0, b: false });
  });

  it("collects arrays from repeated form values, JSON arrays and nested JSON alike", () => {
    const decoder = compilePayloadDecoder(
      profilePayloadSchema({
        type: "object",
        properties: {
          traits: {
            type: "object",
            properties: {
              tags: { type: "array", items: { type: "string" } },
              scores: { type: "array", items: { type: "number" } },
              flags: { type: "array", items: { type: "boolean" } },
              contacts: { type: "array", items: { type: "object" } },
            },
          },
        },
      }),
    );
    const expected = {
      traits: {
        tags: ["a", "", "b"],
        scores: [1, "x"],
        flags: [true, false],
        contacts: [{ kind: "home" }],
      },
      transient_payload: {},
    };
    const form = parseFormBody(
      "traits.tags=a&traits.tags=&traits.tags=b&traits.scores=1&traits.scores=x&traits.flags=t&traits.flags=0&traits.contacts=%7B%22kind%22%3A%22home%22%7D",
    );
    const flatJson = fromJson({
      "traits.tags": ["a", "", "b"],
      "traits.scores": [1, "x"],
      "traits.flags": [true, false],
      "traits.contacts": [{ kind: "home" }],
    });
    const nestedJson = fromJson({
      traits: { tags: ["a", "", "b"], scores: [1, "x"], flags: [true, false], contacts: [{ kind: "home" }] },
    });
    assert.deepEqual(decoder.decode(form), expected);
    assert.deepEqual(decoder.decode(flatJson), expected);
    assert.deepEqual(decoder.decode(nestedJson), expected);
  });

  it("drops unknown top-level and flat keys; undeclared keys inside a nested object reach validation", () => {
    assert.deepEqual(
      quickstart.decode(
        fromJson({ foo: "bar", "traits.foo": "x", traits: { email: "a@b.co", bar: 1 }, method: "profile" }),
      ),
      { method: "profile", traits: { email: "a@b.co", bar: 1, name: {} }, transient_payload: {} },
    );
  });

  it("always yields traits (at least {}): a method-only body", () => {
    assert.deepEqual(quickstart.decode(parseFormBody("method=profile")), {
      method: "profile",
      traits: { name: {} },
      transient_payload: {},
    });
    assert.deepEqual(e2e.decode(fromJson({ method: "profile" })), {
      method: "profile",
      traits: {},
      transient_payload: {},
    });
    assert.deepEqual(e2e.decode(fromJson({ method: "profile", traits: null })), {
      method: "profile",
      traits: {},
      transient_payload: {},
    });
  });

  it("inserts objects without declared properties whole (transient_payload)", () => {
    const payload = { a: [1, { b: "c" }], d: "" };
    assert.deepEqual(e2e.decode(fromJson({ transient_payload: payload })).transient_payload, payload);
    assert.deepEqual(
      e2e.decode(parseFormBody(`transient_payload=${encodeURIComponent(JSON.stringify(payload))}`))
        .transient_payload,
      payload,
    );
    // Not JSON: kept as text so validation reports the wrong type.
    assert.equal(e2e.decode(parseFormBody("transient_payload=nope")).transient_payload, "nope");
  });

  it("keeps a non-object value for traits so validation reports the type", () => {
    assert.equal(e2e.decode(fromJson({ traits: "x" })).traits, "x");
    assert.deepEqual(e2e.decode(fromJson({ traits: [{ email: "a@b.co" }] })).traits, [{ email: "a@b.co" }]);
    assert.equal(e2e.decode(fromJson({ traits: 5 })).traits, 5);
    // Leaves submitted next to it still win.
    assert.deepEqual(e2e.decode(fromJson({ traits: "x", "traits.email": "a@b.co" })).traits, {
      email: "a@b.co",
    });
  });

  it("a raw JSON object sent as the form field `traits` is inserted whole, like nested JSON", () => {
    const values = parseFormBody(`traits=${encodeURIComponent('{"email":"a@b.co","age":"7"}')}`);
    assert.deepEqual(e2e.decode(values).traits, { email: "a@b.co", age: "7" });
  });

  it("types multi-typed paths only when the JSON value fits a declared type", () => {
    const decoder = compilePayloadDecoder({
      type: "object",
      properties: { nick: { type: ["string", "null"] }, count: { type: ["integer", "string"] } },
    });
    assert.deepEqual(decoder.decode(parseFormBody("nick=5&count=5")), { nick: "5", count: 5 });
    assert.deepEqual(decoder.decode(fromJson({ nick: "null", count: "1.5" })), { nick: null, count: "1.5" });
  });

  it("follows recursive $refs up to Kratos's depth of 5", () => {
    const decoder = compilePayloadDecoder({
      type: "object",
      definitions: {
        person: {
          type: "object",
          properties: { name: { type: "string" }, friend: { $ref: "#/definitions/person" } },
        },
      },
      properties: { traits: { $ref: "#/definitions/person" } },
    });
    const names = decoder.paths.map((p) => p.name);
    assert.ok(names.includes("traits.friend.friend.friend.friend.friend.name"));
    assert.ok(!names.some((n) => n.split(".").length > 8));
    assert.deepEqual(decoder.decode(fromJson({ traits: { name: "A", friend: { name: "B" } } })).traits, {
      name: "A",
      // Every declared object path left absent becomes {} (§5.2 step 4), down to the cut-off.
      friend: { name: "B", friend: { friend: { friend: { friend: {} } } } },
    });
  });

  it("never writes through __proto__", () => {
    const decoder = compilePayloadDecoder({
      type: "object",
      properties: { o: { type: "object", properties: { __proto__: { type: "string" } } } },
    });
    const result = decoder.decode(fromJson(JSON.parse('{"o":{"__proto__":"x"}}')));
    assert.equal(Object.getPrototypeOf(result.o), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(result.o, "__proto__")?.value, "x");
  });
});

describe("payload schemas", () => {
  it("password: the password path, dropped when empty so validation says it is missing", () => {
    const decoder = compilePayloadDecoder(passwordPayloadSchema());
    assert.deepEqual(
      decoder.paths.map((p) => [p.name, p.kind, p.required]),
      [
        ["csrf_token", "string", false],
        ["method", "string", false],
        ["password", "string", true],
        ["transient_payload", "object", false],
      ],
    );
    assert.deepEqual(decoder.decode(parseFormBody("method=password&password=&csrf_token=t")), {
      method: "password",
      csrf_token: "t",
      transient_payload: {},
    });
    assert.deepEqual(decoder.decode(fromJson({ method: "password", password: "correct horse" })), {
      method: "password",
      password: "correct horse",
      transient_payload: {},
    });
  });

  it("oidc: link/unlink strings; undeclared traits are not a path", () => {
    const decoder = compilePayloadDecoder(oidcPayloadSchema());
    assert.deepEqual(
      decoder.decode(parseFormBody("link=github&traits.email=x&upstream_parameters.hd=ory.sh")),
      {
        link: "github",
        upstream_parameters: { hd: "ory.sh" },
        transient_payload: {},
      },
    );
  });

  it("profile: the identity's traits schema replaces properties.traits, with its definitions", () => {
    const identity = {
      type: "object",
      definitions: { email: { type: "string", format: "email" } },
      properties: {
        traits: {
          type: "object",
          properties: { email: { $ref: "#/definitions/email" } },
          required: ["email"],
        },
      },
    };
    const payload = profilePayloadSchema(identity);
    assert.deepEqual((payload.properties as Record<string, unknown>).traits, identity.properties.traits);
    assert.deepEqual(payload.definitions, identity.definitions);
    assert.deepEqual(payload.required, ["traits"]);
    const decoder = compilePayloadDecoder(payload);
    assert.deepEqual(
      decoder.paths.map((p) => p.name),
      ["action", "csrf_token", "method", "traits", "traits.email", "transient_payload"],
    );
    // A fresh copy each time: changing one does not touch the next.
    (payload.properties as Record<string, unknown>).method = {};
    assert.deepEqual((profilePayloadSchema(identity).properties as Record<string, unknown>).method, {
      type: "string",
    });
  });

  it("lists paths like Kratos: sorted, objects included, untyped left out", () => {
    assert.deepEqual(
      listSchemaPaths(profilePayloadSchema(defaultSchema)).map((p) => `${p.name}:${p.kind}`),
      [
        "action:string",
        "csrf_token:string",
        "method:string",
        "traits:object",
        "traits.email:string",
        "traits.name:object",
        "traits.name.first:string",
        "traits.name.last:string",
        "transient_payload:object",
      ],
    );
  });
});
