import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkTraits } from "../../server/identity/check.ts";
import { deriveTraits } from "../../server/identity/extension.ts";
import { planExtensions } from "../../server/identity/extension-plan.ts";
import { SchemaRegistry } from "../../server/identity/registry.ts";
import {
  BUILT_IN_DEFAULT,
  identitySchema,
  loadDefaultEntry,
  loadEntry,
  REFERENCE_SCHEMAS,
} from "./fixtures.ts";

const passwordIdentifier = { credentials: { password: { identifier: true } } };

describe("planExtensions", () => {
  test("the quickstart schema has one site: traits.email", async () => {
    const entry = await loadDefaultEntry();
    assert.deepEqual(entry.extensions, {
      sites: [
        {
          path: ["email"],
          format: "email",
          config: {
            credentials: { password: { identifier: true } },
            verification: { via: "email" },
            recovery: { via: "email" },
          },
        },
      ],
      identifierTypes: ["password"],
    });
  });

  test("follows $ref, allOf/anyOf/oneOf, nested objects and arrays, in document order", () => {
    const plan = planExtensions({
      ...identitySchema({
        username: { type: "string", "ory.sh/kratos": passwordIdentifier },
        contact: { $ref: "#/definitions/contact" },
        emails: {
          type: "array",
          items: { type: "string", format: "email", "ory.sh/kratos": { recovery: { via: "email" } } },
        },
        alias: {
          allOf: [
            { type: "string" },
            { "ory.sh/kratos": { credentials: { webauthn: { identifier: true } } } },
          ],
        },
        loop: { $ref: "#" },
      }),
      definitions: {
        contact: {
          type: "object",
          properties: {
            phone: { type: "string", format: "tel", "ory.sh/kratos": { verification: { via: "sms" } } },
          },
        },
      },
    });
    assert.deepEqual(
      plan.sites.map((s) => [s.path.join("."), s.format]),
      [
        ["username", undefined],
        ["contact.phone", "tel"],
        ["emails.*", "email"],
        ["alias", undefined],
        // `loop` re-enters the traits schema it is part of; the walk stops at the cycle.
      ],
    );
    assert.deepEqual(plan.identifierTypes, ["password", "webauthn"]);
  });
});

describe("deriveTraits", () => {
  test("identifiers and addresses are normalised", async () => {
    const entry = await loadDefaultEntry();
    assert.deepEqual(deriveTraits(entry, { email: "Ann.Smith@Example.COM" }), {
      identifiers: { password: ["ann.smith@example.com"] },
      verifiable: [{ value: "ann.smith@example.com", via: "email" }],
      recovery: [{ value: "ann.smith@example.com", via: "email" }],
      codeAddresses: [],
      issues: [],
    });
  });

  test("declared identifier types are present even without values", async () => {
    const entry = await loadDefaultEntry();
    assert.deepEqual(deriveTraits(entry, {}).identifiers, { password: [] });
  });

  test("phone identifiers become E.164; sms addresses too", async () => {
    const registry = await SchemaRegistry.load(
      [{ id: "phone", url: `file://${REFERENCE_SCHEMAS}quickstart-phone-password.identity.schema.json` }],
      { defaultSchemaId: "phone", builtInDefault: BUILT_IN_DEFAULT },
    );
    const derived = deriveTraits(registry.defaultEntry, { email: "A@B.co", phone: "+49 (176) 1234-5678" });
    assert.deepEqual(derived.identifiers, { password: ["a@b.co", "+4917612345678"], code: ["a@b.co"] });
    assert.deepEqual(derived.verifiable, [
      { value: "a@b.co", via: "email" },
      { value: "+4917612345678", via: "sms" },
    ]);
    assert.deepEqual(derived.codeAddresses, [{ value: "a@b.co", via: "email" }]);
    assert.deepEqual(derived.issues, []);
  });

  test("arrays of strings, nested objects; identifiers are unique and in schema order", async () => {
    const entry = await loadEntry(
      identitySchema({
        emails: {
          type: "array",
          items: {
            type: "string",
            format: "email",
            "ory.sh/kratos": { ...passwordIdentifier, verification: { via: "email" } },
          },
        },
        profile: {
          type: "object",
          properties: { nick: { type: "string", "ory.sh/kratos": passwordIdentifier } },
        },
      }),
    );
    const derived = deriveTraits(entry, {
      emails: ["b@example.com", "A@example.com", "B@Example.com"],
      profile: { nick: " Nick " },
    });
    assert.deepEqual(derived.identifiers.password, ["b@example.com", "a@example.com", "nick"]);
    assert.deepEqual(
      derived.verifiable.map((a) => a.value),
      ["b@example.com", "a@example.com"],
    );
  });

  test("verification via email without a format must be an email: 4000040 on that path", async () => {
    const entry = await loadEntry(
      identitySchema({ contact: { type: "string", "ory.sh/kratos": { verification: { via: "email" } } } }),
    );
    const derived = deriveTraits(entry, { contact: "not-an-email" });
    assert.deepEqual(derived.issues, [
      {
        path: "traits.contact",
        message: {
          id: 4000040,
          text: "Enter a valid email address",
          type: "error",
          context: { value: "not-an-email" },
        },
      },
    ]);
    assert.deepEqual(derived.verifiable, []);
  });

  test("verification via sms with a phone that cannot be normalised", async () => {
    const entry = await loadEntry(
      identitySchema({
        phone: { type: "string", format: "tel", "ory.sh/kratos": { verification: { via: "sms" } } },
      }),
    );
    const derived = deriveTraits(entry, { phone: "12" });
    assert.deepEqual(derived.issues, [
      {
        path: "traits.phone",
        message: {
          id: 4000001,
          text: '"12" can not be normalized for format "tel"',
          type: "error",
          context: { reason: '"12" can not be normalized for format "tel"' },
        },
      },
    ]);
  });

  test("verification via sms needs a format; no-validate keeps the value trimmed", async () => {
    const noFormat = await loadEntry(
      identitySchema({ phone: { type: "string", "ory.sh/kratos": { verification: { via: "sms" } } } }),
    );
    assert.match(
      deriveTraits(noFormat, { phone: "+4917612345678" }).issues[0]?.message.text ?? "",
      /no format specified/,
    );
    const noValidate = await loadEntry(
      identitySchema({
        phone: { type: "string", format: "no-validate", "ory.sh/kratos": { verification: { via: "sms" } } },
      }),
    );
    const derived = deriveTraits(noValidate, { phone: " 0176 / 123 " });
    assert.deepEqual(derived.verifiable, [{ value: "0176 / 123", via: "sms" }]);
    assert.deepEqual(derived.issues, []);
  });

  test("recovery via sms must be E.164-able; recovery via email with no-validate is not checked", async () => {
    const entry = await loadEntry(
      identitySchema({
        phone: { type: "string", "ory.sh/kratos": { recovery: { via: "sms" } } },
        legacy: { type: "string", format: "no-validate", "ory.sh/kratos": { recovery: { via: "email" } } },
      }),
    );
    const derived = deriveTraits(entry, { phone: "0176", legacy: " Legacy-Mailbox " });
    assert.deepEqual(
      derived.issues.map((i) => [i.path, i.message.id, i.message.text]),
      [["traits.phone", 4000001, '"0176" is not valid "tel" for "sms"']],
    );
    assert.deepEqual(derived.recovery, [{ value: "legacy-mailbox", via: "email" }]);
    assert.deepEqual(deriveTraits(entry, { phone: "+1 650 253 0000" }).recovery, [
      { value: "+16502530000", via: "sms" },
    ]);
  });

  test("code identifiers, TOTP account name and passkey display name", async () => {
    const entry = await loadEntry(
      identitySchema({
        email: {
          type: "string",
          format: "email",
          "ory.sh/kratos": {
            credentials: {
              code: { identifier: true, via: "email" },
              totp: { account_name: true },
              passkey: { display_name: true },
            },
          },
        },
      }),
    );
    const derived = deriveTraits(entry, { email: "Ann@Example.com" });
    assert.deepEqual(derived.identifiers, { code: ["ann@example.com"] });
    assert.deepEqual(derived.codeAddresses, [{ value: "ann@example.com", via: "email" }]);
    assert.equal(derived.totpAccountName, "Ann@Example.com");
    assert.equal(derived.passkeyDisplayName, "Ann@Example.com");
  });

  test("non-string values are left to the schema's type check", async () => {
    const entry = await loadDefaultEntry();
    assert.deepEqual(deriveTraits(entry, { email: 42 }), {
      identifiers: { password: [] },
      verifiable: [],
      recovery: [],
      codeAddresses: [],
      issues: [],
    });
  });
});

describe("checkTraits", () => {
  test("schema and extension problems on one path are reported once", async () => {
    const entry = await loadEntry(
      identitySchema({
        email: {
          type: "string",
          format: "email",
          "ory.sh/kratos": { verification: { via: "email" }, recovery: { via: "email" } },
        },
        phone: { type: "string", format: "tel", "ory.sh/kratos": { verification: { via: "sms" } } },
        contact: { type: "string", "ory.sh/kratos": { recovery: { via: "email" } } },
      }),
    );
    const { issues } = checkTraits(entry, { email: "nope", phone: "12", contact: "nope" });
    assert.deepEqual(
      issues.map((i) => [i.path, i.message.id]),
      [
        ["traits.email", 4000040],
        ["traits.phone", 4000041],
        ["traits.contact", 4000040],
      ],
    );
  });

  test("valid traits: no issues, derived data ready", async () => {
    const entry = await loadDefaultEntry();
    const { issues, derived } = checkTraits(entry, { email: "ann@example.com" });
    assert.deepEqual(issues, []);
    assert.deepEqual(derived.identifiers, { password: ["ann@example.com"] });
  });
});
