import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { identityToJson } from "../../server/identity/serialize.ts";
import { assertSchema, validateAgainstOpenApi } from "../helpers/openapi.ts";
import { sampleIdentity } from "./fixtures.ts";

const now = "2024-01-02T03:04:05.678Z";
const identity = identityToJson(sampleIdentity(), { publicBaseUrl: "https://id.example.com/" });
const csrfNode = {
  type: "input",
  group: "default",
  attributes: {
    name: "csrf_token",
    type: "hidden",
    value: "tok",
    required: true,
    disabled: false,
    node_type: "input",
  },
  messages: [],
  meta: {},
};
const session = {
  id: "5d7c5a7e-2b1f-4c3d-9e8f-0a1b2c3d4e5f",
  active: true,
  expires_at: now,
  authenticated_at: now,
  issued_at: now,
  authenticator_assurance_level: "aal1",
  authentication_methods: [{ method: "password", aal: "aal1", completed_at: now }],
  identity,
  devices: [
    { id: "6d7c5a7e-2b1f-4c3d-9e8f-0a1b2c3d4e5f", ip_address: "127.0.0.1", user_agent: "test", location: "" },
  ],
};
const flowBase = {
  id: "7d7c5a7e-2b1f-4c3d-9e8f-0a1b2c3d4e5f",
  type: "browser",
  expires_at: now,
  issued_at: now,
  request_url: "https://id.example.com/self-service/settings/browser",
  ui: { action: "https://id.example.com/self-service/settings?flow=x", method: "POST", nodes: [csrfNode] },
  state: "show_form",
};

describe("validateAgainstOpenApi", () => {
  test("compiles every schema the team uses", () => {
    for (const name of [
      "settingsFlow",
      "loginFlow",
      "registrationFlow",
      "session",
      "identity",
      "errorGeneric",
      "successfulNativeLogin",
      "successfulNativeRegistration",
      "identitySchemas",
    ]) {
      assert.ok(Array.isArray(validateAgainstOpenApi(name, {})), name);
      assert.ok(Array.isArray(validateAgainstOpenApi(name, {}, { noAdditionalProperties: true })), name);
    }
  });

  test("accepts realistic values", () => {
    const strict = { noAdditionalProperties: true };
    assert.deepEqual(validateAgainstOpenApi("session", session, strict), []);
    assert.deepEqual(
      validateAgainstOpenApi("successfulNativeLogin", { session, session_token: "ory_st_x" }, strict),
      [],
    );
    assert.deepEqual(validateAgainstOpenApi("settingsFlow", { ...flowBase, identity }, strict), []);
    assert.deepEqual(validateAgainstOpenApi("loginFlow", { ...flowBase, refresh: false }), []);
    assert.deepEqual(
      validateAgainstOpenApi("errorGeneric", {
        error: { code: 404, status: "Not Found", message: "The requested resource could not be found" },
      }),
      [],
    );
    assert.deepEqual(
      validateAgainstOpenApi("identitySchemas", [{ id: "default", schema: { type: "object" } }]),
      [],
    );
  });

  test("nullable fields accept null; discriminated node attributes are checked per node_type", () => {
    const withNullValue = { ...csrfNode, attributes: { ...csrfNode.attributes, value: null } };
    assert.deepEqual(validateAgainstOpenApi("uiNode", withNullValue), []);
    assert.deepEqual(
      validateAgainstOpenApi("identity", { ...identity, organization_id: null, metadata_public: null }),
      [],
    );

    const textNode = {
      type: "text",
      group: "default",
      attributes: { id: "x", text: { id: 1, text: "t", type: "info" }, node_type: "text" },
      messages: [],
      meta: {},
    };
    assert.deepEqual(validateAgainstOpenApi("uiNode", textNode), []);
    const wrongAttributes = { ...textNode, attributes: { ...textNode.attributes, node_type: "input" } };
    assert.ok(validateAgainstOpenApi("uiNode", wrongAttributes).some((e) => e.includes("'name'")));
    const unknownType = { ...textNode, attributes: { node_type: "video" } };
    assert.ok(validateAgainstOpenApi("uiNode", unknownType).some((e) => e.includes("allowed values")));
  });

  test("reports readable errors, and unknown keys in strict mode", () => {
    const broken = { ...identity, state: "frozen", created_at: "yesterday" };
    const errors = validateAgainstOpenApi("identity", broken);
    assert.ok(
      errors.includes('/state: must be equal to one of the allowed values ["active","inactive"]'),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => e.startsWith("/created_at: must match format")),
      errors.join("\n"),
    );
    assert.deepEqual(validateAgainstOpenApi("identity", { ...identity, organisation_id: null }), []);
    assert.deepEqual(
      validateAgainstOpenApi(
        "identity",
        { ...identity, organisation_id: null },
        { noAdditionalProperties: true },
      ),
      ['/: must NOT have additional properties "organisation_id"'],
    );
  });

  test("an unknown schema name is an error, not a silent pass", () => {
    assert.throws(() => validateAgainstOpenApi("nope", {}), /no schema named "nope"/);
  });
});

describe("assertSchema", () => {
  const csrfError = {
    error: { id: "security_csrf_violation", code: 403, status: "Forbidden", message: "m", reason: "r" },
  };

  test("tolerates keys inside genericError.details, which the document declares always empty", () => {
    const details = { hint: "no cookie", reject_reason: "missing", docs: "https://example.com" };
    assert.ok(
      validateAgainstOpenApi(
        "errorGeneric",
        { error: { ...csrfError.error, details } },
        { noAdditionalProperties: true },
      ).length,
    );
    assertSchema("errorGeneric", { error: { ...csrfError.error, details } });
  });

  test("refuses unknown keys elsewhere, and wrong types inside details", () => {
    assert.throws(
      () => assertSchema("errorGeneric", { error: { ...csrfError.error, detail: {} } }),
      /"detail"/,
    );
    assert.throws(
      () => assertSchema("errorGeneric", { error: { ...csrfError.error, details: "text" } }),
      /details: must be object/,
    );
    assert.throws(() => assertSchema("identity", { ...identity, organisation_id: null }), /organisation_id/);
  });
});
