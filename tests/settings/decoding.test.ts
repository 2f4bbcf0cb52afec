import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertUnchanged,
  browserFlow,
  csrfOf,
  fetchFlow,
  flowIdFromUiRedirect,
  flowOf,
  type Json,
  nodeOf,
  onlySchema,
  registerApi,
  registerBrowser,
  reRendered,
  server,
  snapshot,
  storedTraits,
  submitApi,
  submitForm,
  submitUrl,
} from "./helpers.ts";

// Contract §5.2: "JSON follows form format" — decoding of profile submissions.

test("flat traits.* JSON keys and nested JSON decode the same way", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const flat = await submitApi(s, user.token, {
    method: "profile",
    "traits.email": "ada@example.com",
    "traits.name.first": "Flat",
    "traits.name.last": "Keys",
  });
  assert.equal(flat.status, 200, await flat.clone().text());
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "ada@example.com",
    name: { first: "Flat", last: "Keys" },
  });
  const nested = await submitApi(s, user.token, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: "Nested", last: "Object" } },
  });
  assert.equal(nested.status, 200);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "ada@example.com",
    name: { first: "Nested", last: "Object" },
  });
});

test("nested JSON keeps its types: a number for a string trait or an undeclared key is a validation error", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const wrongType = await submitApi(s, user.token, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: 5 } },
  });
  assert.equal(wrongType.status, 400);
  const first = nodeOf((await wrongType.json()) as Json, "traits.name.first");
  assert.equal(first.messages[0]?.id, 4000026);
  const undeclared = await submitApi(s, user.token, {
    method: "profile",
    traits: { email: "ada@example.com", nickname: "x" },
  });
  assert.equal(undeclared.status, 400);
  const messages = JSON.stringify(await undeclared.json());
  assert.match(messages, /additionalProperties/);
  await assertUnchanged(s, before);
});

test("form posts with traits.a.b keys (urlencoded and multipart)", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const flow = await browserFlow(s, user.jar);
  const res = await submitForm(s, user.jar, flow, {
    method: "profile",
    "traits.email": "ada@example.com",
    "traits.name.first": "Form",
    "traits.name.last": "Post",
  });
  assert.equal(flowIdFromUiRedirect(s, res), flow.id);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "ada@example.com",
    name: { first: "Form", last: "Post" },
  });

  const fd = new FormData();
  fd.set("method", "profile");
  fd.set("traits.email", "ada@example.com");
  fd.set("traits.name.first", "Multi");
  fd.set("csrf_token", csrfOf(flow as never));
  const multipart = await user.jar.fetch(submitUrl(s, flow.id), { method: "POST", body: fd });
  assert.equal(flowIdFromUiRedirect(s, multipart), flow.id);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "ada@example.com",
    name: { first: "Multi" },
  });
});

test("an empty string removes a trait; a profile submission replaces all traits", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const flow = await browserFlow(s, user.jar);
  const res = await submitForm(s, user.jar, flow, {
    method: "profile",
    "traits.email": "ada@example.com",
    "traits.name.first": "",
    "traits.name.last": "Lovelace",
  });
  assert.equal(flowIdFromUiRedirect(s, res), flow.id);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "ada@example.com",
    name: { last: "Lovelace" },
  });
  const done = await fetchFlow(s, user.jar, String(flow.id));
  assert.equal(
    "value" in nodeOf(done, "traits.name.first").attributes,
    false,
    "no value for a removed trait",
  );

  // Only the e-mail: the names are gone (the absent object path becomes {}, §5.2 step 4).
  const api = await registerApi(s, "eve@example.com");
  const only = await submitApi(s, api.token, { method: "profile", traits: { email: "eve@example.com" } });
  assert.equal(only.status, 200);
  assert.deepEqual(await storedTraits(s, api.identityId), { email: "eve@example.com", name: {} });
  assert.deepEqual(((await flowOf(only)).identity as Json).traits, { email: "eve@example.com", name: {} });
});

test("method=profile alone sets traits to {} and fails on the required e-mail (4000002)", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const res = await submitApi(s, user.token, { method: "profile" });
  assert.equal(res.status, 400);
  const rendered = await flowOf(res);
  assert.deepEqual(nodeOf(rendered, "traits.email").messages, [
    { id: 4000002, text: "Property email is missing.", type: "error", context: { property: "email" } },
  ]);
  await assertUnchanged(s, before);
});

test("unknown flat keys are dropped; unknown nested traits fail additionalProperties", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const ok = await submitApi(s, user.token, {
    method: "profile",
    "traits.email": "ada@example.com",
    "traits.nickname": "dropped",
    unrelated: { x: 1 },
  });
  assert.equal(ok.status, 200, await ok.clone().text());
  // Absent object paths become {} (§5.2 step 4).
  assert.deepEqual(await storedTraits(s, user.identityId), { email: "ada@example.com", name: {} });

  const before = await snapshot(s, user.identityId);
  const bad = await submitApi(s, user.token, {
    method: "profile",
    traits: { email: "ada@example.com", nickname: "kept?" },
  });
  // The nested object's undeclared key is either dropped (Tessera flattens declared paths) or
  // refused by additionalProperties; it must never be stored.
  if (bad.status === 200) {
    assert.deepEqual(await storedTraits(s, user.identityId), { email: "ada@example.com", name: {} });
  } else {
    assert.equal(bad.status, 400);
    await flowOf(bad);
    await assertUnchanged(s, before);
  }
});

const TYPED_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
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
        age: { type: "integer", title: "Age", minimum: 18 },
        newsletter: { type: "boolean", title: "Newsletter" },
        tags: { type: "array", items: { type: "string" } },
      },
      required: ["email"],
      additionalProperties: false,
    },
  },
};

test("numbers and booleans are coerced from form text; unparseable text fails the type check", async (t) => {
  const s = await server(t, onlySchema("typed", TYPED_SCHEMA));
  const user = await registerBrowser(s, "ada@example.com", {});
  let flow = await browserFlow(s, user.jar);
  assert.equal(nodeOf(flow, "traits.age").attributes.type, "number");
  assert.equal(nodeOf(flow, "traits.newsletter").attributes.type, "checkbox");
  assert.equal(nodeOf(flow, "traits.tags").attributes.type, "text");

  const res = await user.jar.fetch(submitUrl(s, flow.id), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams([
      ["method", "profile"],
      ["traits.email", "ada@example.com"],
      ["traits.age", "42"],
      ["traits.newsletter", "false"],
      ["traits.newsletter", "true"],
      ["traits.tags", "a"],
      ["traits.tags", "b"],
      ["csrf_token", csrfOf(flow as never)],
    ]).toString(),
  });
  assert.equal(flowIdFromUiRedirect(s, res), flow.id);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "ada@example.com",
    age: 42,
    newsletter: true,
    tags: ["a", "b"],
  });
  flow = await fetchFlow(s, user.jar, String(flow.id));
  assert.equal(nodeOf(flow, "traits.age").attributes.value, 42, "numbers are emitted as numbers");
  assert.equal(nodeOf(flow, "traits.newsletter").attributes.value, true);

  const before = await snapshot(s, user.identityId);
  const bad = await submitForm(s, user.jar, flow, {
    method: "profile",
    "traits.email": "ada@example.com",
    "traits.age": "forty-two",
  });
  const rendered = await reRendered(s, user.jar, flow, bad);
  const age = nodeOf(rendered, "traits.age");
  assert.equal(age.attributes.value, "forty-two", "invalid input is echoed");
  assert.deepEqual(age.messages, [
    {
      id: 4000026,
      text: "expected integer, but got string",
      type: "error",
      context: { allowed_types: ["integer"], actual_type: "string" },
    },
  ]);
  await assertUnchanged(s, before);

  const young = await submitForm(
    s,
    user.jar,
    flow,
    { method: "profile", "traits.email": "ada@example.com", "traits.age": "7" },
    csrfOf(rendered as never),
  );
  assert.deepEqual(nodeOf(await reRendered(s, user.jar, flow, young), "traits.age").messages, [
    { id: 4000018, text: "must be >= 18 but found 7", type: "error", context: { minimum: 18, actual: 7 } },
  ]);
  await assertUnchanged(s, before);
});

test("schema errors win over CSRF and privilege checks (§20.3)", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  s.clock.advance(2 * 60 * 60 * 1000);
  const flow = await browserFlow(s, user.jar);
  const res = await submitForm(
    s,
    user.jar,
    flow,
    { method: "profile", "traits.email": "not-an-email" },
    "invalid",
  );
  const rendered = await reRendered(s, user.jar, flow, res, "rendered, not a CSRF error or a re-auth");
  assert.deepEqual(
    nodeOf(rendered, "traits.email").messages.map((m) => m.id),
    [4000040],
  );

  const pw = await submitForm(s, user.jar, flow, { method: "password", password: "" }, "x");
  assert.deepEqual(
    nodeOf(await reRendered(s, user.jar, flow, pw), "password").messages.map((m) => m.id),
    [4000002],
  );
  await assertUnchanged(s, before);
});
