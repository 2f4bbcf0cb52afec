import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { InputNode, UiNode } from "#shared/ui.ts";
import defaultSchema from "../../schemas/default.identity.schema.json" with { type: "json" };
import { message } from "../../server/ui/messages.ts";
import { csrfNode, inputNode } from "../../server/ui/nodes.ts";
import { compileProfileNodes, profileNodes, schemaKeyOrder } from "../../server/ui/profile-nodes.ts";
import { sortNodes } from "../../server/ui/sort.ts";

/** Kratos's identity schemas, copied under tests/fixtures (see its NOTICE.md). */
function referenceSchema(name: string): object {
  const url = new URL(`../fixtures/identity-schemas/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as object;
}

/** Appendix A.1's `ui.nodes`, verbatim except the CSRF value. */
const APPENDIX_A1 = `[
 {"type":"input","group":"default","attributes":{"name":"csrf_token","type":"hidden","value":"k2==","required":true,"disabled":false,"node_type":"input"},"messages":[],"meta":{}},
 {"type":"input","group":"profile","attributes":{"name":"traits.email","type":"email","value":"a@example.com","required":true,"autocomplete":"email","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070002,"text":"E-Mail","type":"info","context":{"title":"E-Mail","name":"traits.email"}}}},
 {"type":"input","group":"profile","attributes":{"name":"traits.name.first","type":"text","value":"Ann","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070002,"text":"First Name","type":"info","context":{"title":"First Name","name":"traits.name.first"}}}},
 {"type":"input","group":"profile","attributes":{"name":"traits.name.last","type":"text","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070002,"text":"Last Name","type":"info","context":{"title":"Last Name","name":"traits.name.last"}}}},
 {"type":"input","group":"profile","attributes":{"name":"method","type":"submit","value":"profile","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070003,"text":"Save","type":"info"}}},
 {"type":"input","group":"password","attributes":{"name":"password","type":"password","required":true,"autocomplete":"new-password","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070001,"text":"Password","type":"info"}}},
 {"type":"input","group":"password","attributes":{"name":"method","type":"submit","value":"password","disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":1070003,"text":"Save","type":"info"}}}
]`;

function passwordNodes(): InputNode[] {
  return [
    inputNode("password", "password", "password", {
      required: true,
      autocomplete: "new-password",
      label: message(1070001),
    }),
    inputNode("password", "method", "submit", { value: "password", label: message(1070003) }),
  ];
}

function attrs(nodes: readonly UiNode[], name: string): Record<string, unknown> {
  const node = nodes.find((n) => n.type === "input" && (n.attributes as { name: string }).name === name);
  assert.ok(node, `node ${name} exists`);
  return node.attributes as Record<string, unknown>;
}

function meta(nodes: readonly UiNode[], name: string): UiNode["meta"] {
  return nodes.find((n) => (n.attributes as { name?: string }).name === name)!.meta;
}

function names(nodes: readonly UiNode[]): string[] {
  return nodes.map((n) => (n.attributes as { name: string }).name);
}

describe("profile nodes: Appendix A.1 (quickstart email-password schema)", () => {
  const template = compileProfileNodes(defaultSchema);
  const keyOrder = schemaKeyOrder(defaultSchema);

  it("builds, sorts and serializes exactly the A.1 node list", () => {
    const profile = profileNodes(template, { email: "a@example.com", name: { first: "Ann" } });
    // Deliberately scrambled input: the sorter alone must produce the A.1 order.
    const unsorted = [...passwordNodes(), ...profile.reverse(), csrfNode("k2==")];
    const sorted = sortNodes(unsorted, keyOrder);
    assert.deepEqual(sorted, JSON.parse(APPENDIX_A1));
    // Attribute key order is part of the wire format, so compare the serialization too.
    assert.equal(JSON.stringify(sorted), JSON.stringify(JSON.parse(APPENDIX_A1)));
  });

  it("the quickstart-email-password reference schema gives the same nodes as the shipped default", () => {
    const reference = referenceSchema("quickstart-email-password.identity.schema.json");
    const traits = { email: "a@example.com", name: { first: "Ann" } };
    assert.deepEqual(profileNodes(compileProfileNodes(reference), traits), profileNodes(template, traits));
  });

  it("lists keys in document order for sorting", () => {
    assert.deepEqual(keyOrder, ["traits.email", "traits.name.first", "traits.name.last"]);
  });

  it("method=profile is the last node and has a label without context", () => {
    const nodes = profileNodes(template, undefined);
    assert.deepEqual(names(nodes), ["traits.email", "traits.name.first", "traits.name.last", "method"]);
    assert.deepEqual(nodes.at(-1), {
      type: "input",
      group: "profile",
      attributes: { name: "method", type: "submit", value: "profile", disabled: false, node_type: "input" },
      messages: [],
      meta: { label: { id: 1070003, text: "Save", type: "info" } },
    });
  });

  it("returns fresh nodes on every call", () => {
    const first = profileNodes(template, { email: "a@example.com" });
    first[0]!.messages.push(message(4000002, ["email"], { property: "email" }));
    first[0]!.attributes.value = "changed";
    const second = profileNodes(template, undefined);
    assert.deepEqual(second[0]!.messages, []);
    assert.equal("value" in second[0]!.attributes, false);
  });

  it("shares no mutable label between renders (shared parts are frozen)", () => {
    const nodes = profileNodes(template, undefined);
    assert.ok(Object.isFrozen(nodes[0]!.meta.label));
    assert.throws(() => {
      (nodes[0]!.meta.label as { text: string }).text = "x";
    });
  });
});

describe("profile nodes: Kratos e2e and test-stub schemas", () => {
  it("settings test stub: types from type/format, no labels without title, nothing required", () => {
    const schema = referenceSchema("settings-test-stub.identity.schema.json");
    const nodes = profileNodes(compileProfileNodes(schema), {
      email: "john@doe.com",
      name: "john@doe.com",
      stringy: "foobar",
      numby: 2.5,
      booly: false,
      should_big_number: 2048,
    });
    assert.deepEqual(names(nodes), [
      "traits.booly",
      "traits.email",
      "traits.name",
      "traits.numby",
      "traits.should_big_number",
      "traits.should_long_string",
      "traits.stringy",
      "method",
    ]);
    assert.deepEqual(attrs(nodes, "traits.booly"), {
      name: "traits.booly",
      type: "checkbox",
      value: false,
      disabled: false,
      node_type: "input",
    });
    assert.deepEqual(attrs(nodes, "traits.email"), {
      name: "traits.email",
      type: "text",
      value: "john@doe.com",
      disabled: false,
      node_type: "input",
    });
    assert.deepEqual(attrs(nodes, "traits.name"), {
      name: "traits.name",
      type: "email",
      value: "john@doe.com",
      autocomplete: "email",
      disabled: false,
      node_type: "input",
    });
    assert.equal(attrs(nodes, "traits.numby").type, "number");
    assert.equal(attrs(nodes, "traits.numby").value, 2.5);
    assert.equal(attrs(nodes, "traits.should_big_number").value, 2048);
    assert.equal("value" in attrs(nodes, "traits.should_long_string"), false);
    for (const node of nodes.slice(0, -1)) assert.deepEqual(node.meta, {});
  });

  it("e2e email profile: labels from titles, number/checkbox/url types, required flags", () => {
    const schema = referenceSchema("e2e-email-profile.identity.schema.json");
    const nodes = profileNodes(compileProfileNodes(schema), {
      email: "a@b.co",
      website: "https://www.ory.sh",
      tos: true,
      age: 30,
    });
    assert.deepEqual(attrs(nodes, "traits.website"), {
      name: "traits.website",
      type: "url",
      value: "https://www.ory.sh",
      required: true,
      autocomplete: "url",
      disabled: false,
      node_type: "input",
    });
    assert.deepEqual(meta(nodes, "traits.website"), {
      label: {
        id: 1070002,
        text: "Your website",
        type: "info",
        context: { title: "Your website", name: "traits.website" },
      },
    });
    assert.equal(attrs(nodes, "traits.email").required, true);
    assert.equal(attrs(nodes, "traits.age").type, "number");
    assert.equal(attrs(nodes, "traits.age").value, 30);
    assert.equal(attrs(nodes, "traits.age").required, undefined);
    assert.equal(attrs(nodes, "traits.tos").type, "checkbox");
    assert.equal(attrs(nodes, "traits.tos").value, true);
    assert.equal("value" in attrs(nodes, "traits.consent"), false);
    assert.deepEqual(schemaKeyOrder(schema), [
      "traits.email",
      "traits.website",
      "traits.tos",
      "traits.age",
      "traits.consent",
      "traits.newsletter",
    ]);
  });

  it("quickstart all strategies: nested object leaves only", () => {
    const schema = referenceSchema("quickstart-all-strategies.identity.schema.json");
    const nodes = profileNodes(compileProfileNodes(schema), {
      email: "a@b.co",
      name: { first: "A", last: "B" },
    });
    assert.deepEqual(names(nodes), ["traits.email", "traits.name.first", "traits.name.last", "method"]);
    assert.equal(attrs(nodes, "traits.name.last").value, "B");
  });

  it("quickstart oidc: an object-typed trait produces no node; its values create plain nodes", () => {
    const schema = referenceSchema("quickstart-oidc.identity.schema.json");
    const nodes = profileNodes(compileProfileNodes(schema), {
      email: "a@b.co",
      website: { url: "https://x.example", visits: 3 },
    });
    assert.deepEqual(names(nodes), ["traits.email", "traits.website.url", "traits.website.visits", "method"]);
    assert.deepEqual(nodes[2], {
      type: "input",
      group: "profile",
      attributes: {
        name: "traits.website.visits",
        type: "number",
        value: 3,
        disabled: false,
        node_type: "input",
      },
      messages: [],
      meta: {},
    });
  });

  it("quickstart phone: tel format", () => {
    const schema = referenceSchema("quickstart-phone-password.identity.schema.json");
    const nodes = profileNodes(compileProfileNodes(schema), undefined);
    assert.deepEqual(attrs(nodes, "traits.phone"), {
      name: "traits.phone",
      type: "tel",
      required: true,
      autocomplete: "tel",
      disabled: false,
      node_type: "input",
    });
  });
});

describe("profile nodes: schema features", () => {
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    definitions: {
      email: { type: "string", format: "email", title: "Definition title" },
      address: {
        type: "object",
        properties: {
          street: { type: "string", title: "Street" },
          zip: { type: "string", pattern: "^[0-9]{5}$" },
        },
        required: ["zip"],
      },
    },
    properties: {
      traits: {
        type: "object",
        properties: {
          email: { $ref: "#/definitions/email", title: "E-Mail" },
          backup: { $ref: "#/definitions/email" },
          address: { $ref: "#/definitions/address" },
          age: { type: "integer" },
          color: { type: "string", enum: ["red", "green", "blue"] },
          plan: { const: "free" },
          level: { const: 3 },
          beta: { const: true },
          birthday: { type: "string", format: "date" },
          wakeup: { type: "string", format: "date-time" },
          regex: { type: "string", format: "regex" },
          free: { type: "string", format: "no-validate" },
          tags: { type: "array", items: { type: "string" } },
          scores: { type: "array", items: { type: "number" } },
          contacts: { type: "array", items: { type: "object", properties: { kind: { type: "string" } } } },
          nickname: { type: ["string", "null"] },
          untyped: { title: "No type" },
          country: { type: "string" },
        },
        required: ["email", "age", "address", "tags"],
        allOf: [
          {
            properties: { allof_extra: { type: "boolean", title: "From allOf" } },
            required: ["allof_extra"],
          },
        ],
        if: { properties: { country: { const: "US" } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's `then` keyword.
        then: { properties: { state: { type: "string" } }, required: ["state"] },
        anyOf: [{ properties: { either: { type: "string" } }, required: ["either"] }],
      },
    },
  };
  const template = compileProfileNodes(schema);
  const nodes = profileNodes(template, {
    email: "a@b.co",
    age: 41,
    tags: ["a", "b"],
    scores: [1, 2],
    contacts: [{ kind: "home" }],
    nickname: null,
    address: { street: "Main St", zip: "12345" },
  });

  it("one node per scalar leaf path, sorted by name; objects, arrays of objects, multi-typed and untyped paths have none", () => {
    assert.deepEqual(names(nodes.slice(0, template.fields.length)), [
      "traits.address.street",
      "traits.address.zip",
      "traits.age",
      "traits.allof_extra",
      "traits.backup",
      "traits.beta",
      "traits.birthday",
      "traits.color",
      "traits.country",
      "traits.either",
      "traits.email",
      "traits.free",
      "traits.level",
      "traits.plan",
      "traits.regex",
      "traits.scores",
      "traits.state",
      "traits.tags",
      "traits.wakeup",
    ]);
  });

  it("follows $ref: the property's own title wins, the definition supplies type and format", () => {
    assert.deepEqual(attrs(nodes, "traits.email"), {
      name: "traits.email",
      type: "email",
      value: "a@b.co",
      required: true,
      autocomplete: "email",
      disabled: false,
      node_type: "input",
    });
    assert.equal(meta(nodes, "traits.email").label?.text, "E-Mail");
    assert.equal(meta(nodes, "traits.backup").label?.text, "Definition title");
    assert.equal(attrs(nodes, "traits.backup").required, undefined);
  });

  it("required comes from the declaring object's `required`, including through $ref and allOf but not conditionals", () => {
    assert.equal(attrs(nodes, "traits.address.zip").required, true);
    assert.equal(attrs(nodes, "traits.address.street").required, undefined);
    assert.equal(attrs(nodes, "traits.allof_extra").required, true);
    assert.equal(attrs(nodes, "traits.state").required, undefined);
    assert.equal(attrs(nodes, "traits.either").required, undefined);
    assert.equal(attrs(nodes, "traits.address.zip").pattern, "^[0-9]{5}$");
  });

  it("maps types, formats, const and enum", () => {
    assert.equal(attrs(nodes, "traits.age").type, "number");
    assert.equal(attrs(nodes, "traits.age").value, 41);
    assert.equal(attrs(nodes, "traits.allof_extra").type, "checkbox");
    assert.equal(attrs(nodes, "traits.birthday").type, "date");
    assert.equal(attrs(nodes, "traits.wakeup").type, "datetime-local");
    assert.equal(attrs(nodes, "traits.regex").type, "text");
    assert.equal(attrs(nodes, "traits.free").type, "text");
    assert.equal(attrs(nodes, "traits.plan").type, "text");
    assert.equal(attrs(nodes, "traits.level").type, "number");
    assert.equal(attrs(nodes, "traits.beta").type, "checkbox");
    assert.deepEqual(attrs(nodes, "traits.color"), {
      name: "traits.color",
      type: "text",
      disabled: false,
      options: [{ value: "red" }, { value: "green" }, { value: "blue" }],
      node_type: "input",
    });
  });

  it("arrays of scalars are one text node holding the array", () => {
    assert.deepEqual(attrs(nodes, "traits.tags"), {
      name: "traits.tags",
      type: "text",
      value: ["a", "b"],
      required: true,
      disabled: false,
      node_type: "input",
    });
    assert.deepEqual(attrs(nodes, "traits.scores").value, [1, 2]);
  });

  it("traits without a node become extra nodes typed from their value; null leaves no value", () => {
    const extra = nodes.slice(template.fields.length, -1);
    assert.deepEqual(
      extra.map((n) => [n.attributes.name, n.attributes.type, n.attributes.value]),
      [
        ["traits.contacts.0.kind", "text", "home"],
        ["traits.nickname", "text", undefined],
      ],
    );
    assert.equal("value" in extra[1]!.attributes, false);
    assert.deepEqual(extra[0]!.meta, {});
  });

  it("caps enum options at 500", () => {
    const big = compileProfileNodes({
      type: "object",
      properties: {
        traits: {
          type: "object",
          properties: { n: { type: "integer", enum: Array.from({ length: 600 }, (_, i) => i) } },
        },
      },
    });
    const options = profileNodes(big, undefined)[0]!.attributes.options!;
    assert.equal(options.length, 500);
    assert.deepEqual(options[499], { value: 499 });
  });

  it("cuts recursive $refs at the first repeat (Kratos refuses such schemas)", () => {
    const recursive = compileProfileNodes({
      type: "object",
      definitions: {
        person: {
          type: "object",
          properties: { name: { type: "string" }, friend: { $ref: "#/definitions/person" } },
        },
      },
      properties: { traits: { $ref: "#/definitions/person" } },
    });
    assert.deepEqual(
      recursive.fields.map((f) => f.name),
      ["traits.name"],
    );
  });

  it("schemaKeyOrder walks declared objects in document order; a $ref property is a leaf key", () => {
    assert.deepEqual(schemaKeyOrder(schema).slice(0, 5), [
      "traits.email",
      "traits.backup",
      "traits.address",
      "traits.age",
      "traits.color",
    ]);
  });
});
