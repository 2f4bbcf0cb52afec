import assert from "node:assert/strict";
import { test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import {
  apiFlow,
  asSettingsFlow,
  assertUnchanged,
  browserFlow,
  canLogin,
  csrfOf,
  errorOf,
  fetchFlow,
  flowOf,
  globalMessages,
  HOUR,
  type Json,
  jsonBody,
  MINUTE,
  NEW_PASSWORD,
  nativeSdk,
  nodeOf,
  nodesOf,
  onlySchema,
  PASSWORD,
  postWithToken,
  refreshLoginUrl,
  registerApi,
  registerBrowser,
  reRendered,
  sdk,
  server,
  snapshot,
  spaFlow,
  submitApi,
  submitForm,
  submitUrl,
  type TestServer,
  url,
} from "./helpers.ts";

// The examples of the current Kratos settings docs (contract §19.3) and Appendix A of the contract.

/** Appendix A.1: the nodes of a flow for the quickstart schema (traits.name.last unset). */
function expectedA1Nodes(email: string, first: string, csrf: string) {
  const label = (text: string, name: string) => ({
    label: { id: 1070002, text, type: "info", context: { title: text, name } },
  });
  return [
    {
      type: "input",
      group: "default",
      attributes: {
        name: "csrf_token",
        type: "hidden",
        value: csrf,
        required: true,
        disabled: false,
        node_type: "input",
      },
      messages: [],
      meta: {},
    },
    {
      type: "input",
      group: "profile",
      attributes: {
        name: "traits.email",
        type: "email",
        value: email,
        required: true,
        autocomplete: "email",
        disabled: false,
        node_type: "input",
      },
      messages: [],
      meta: label("E-Mail", "traits.email"),
    },
    {
      type: "input",
      group: "profile",
      attributes: {
        name: "traits.name.first",
        type: "text",
        value: first,
        disabled: false,
        node_type: "input",
      },
      messages: [],
      meta: label("First Name", "traits.name.first"),
    },
    {
      type: "input",
      group: "profile",
      attributes: { name: "traits.name.last", type: "text", disabled: false, node_type: "input" },
      messages: [],
      meta: label("Last Name", "traits.name.last"),
    },
    {
      type: "input",
      group: "profile",
      attributes: { name: "method", type: "submit", value: "profile", disabled: false, node_type: "input" },
      messages: [],
      meta: { label: { id: 1070003, text: "Save", type: "info" } },
    },
    {
      type: "input",
      group: "password",
      attributes: {
        name: "password",
        type: "password",
        required: true,
        autocomplete: "new-password",
        disabled: false,
        node_type: "input",
      },
      messages: [],
      meta: { label: { id: 1070001, text: "Password", type: "info" } },
    },
    {
      type: "input",
      group: "password",
      attributes: { name: "method", type: "submit", value: "password", disabled: false, node_type: "input" },
      messages: [],
      meta: { label: { id: 1070003, text: "Save", type: "info" } },
    },
  ];
}

test("A.1 an SPA creates a flow: the exact node list, labels, autocomplete and order", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s, "a@example.com", { "traits.name.first": "Ann" });
  const res = await user.jar.fetch(url(s, "/self-service/settings/browser"), {
    headers: { accept: "application/json" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "private, no-cache, no-store, must-revalidate");
  assert.match(res.headers.get("vary") ?? "", /Cookie/);
  const flow = await flowOf(res);
  assert.deepEqual(Object.keys(flow), [
    "id",
    "type",
    "expires_at",
    "issued_at",
    "request_url",
    "ui",
    "identity",
    "state",
    "organization_id",
  ]);
  assert.equal(flow.type, "browser");
  assert.equal(flow.state, "show_form");
  assert.equal(flow.request_url, url(s, "/self-service/settings/browser"));
  assert.equal(Date.parse(String(flow.expires_at)) - Date.parse(String(flow.issued_at)), HOUR);
  const ui = flow.ui as Json;
  assert.equal(ui.action, url(s, `/self-service/settings?flow=${flow.id}`));
  assert.equal(ui.method, "POST");
  assert.equal("messages" in ui, false, "ui.messages omitted when empty");
  assert.deepEqual(ui.nodes, expectedA1Nodes("a@example.com", "Ann", csrfOf(flow as never)));
  const identity = flow.identity as Json;
  assert.equal(identity.id, user.identityId);
  assert.deepEqual(identity.traits, { email: "a@example.com", name: { first: "Ann" } });
  assert.equal("credentials" in identity, false);

  // The same nodes for a native app through the SDK (CSRF value empty).
  const api = await registerApi(s, "n@example.com");
  const native = asSettingsFlow(await nativeSdk(s).createNativeSettingsFlow({ xSessionToken: api.token }));
  assertSchema("settingsFlow", native);
  assert.equal(native.type, "api");
  const nativeNodes = expectedA1Nodes("n@example.com", "Ada", "");
  (nativeNodes[3]!.attributes as Json).value = "Lovelace";
  assert.deepEqual(native.ui && (native.ui as Json).nodes, nativeNodes);
});

test("seed: 'not an email' ⇒ 4000040 on traits.email with the value echoed (A.3)", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    traits: { email: "not-an-email" },
  });
  assert.equal(res.status, 400);
  const rendered = await flowOf(res);
  assert.equal(rendered.state, "show_form");
  assert.deepEqual(nodeOf(rendered, "traits.email"), {
    type: "input",
    group: "profile",
    attributes: {
      name: "traits.email",
      type: "email",
      value: "not-an-email",
      required: true,
      autocomplete: "email",
      disabled: false,
      node_type: "input",
    },
    messages: [
      { id: 4000040, text: "Enter a valid email address", type: "error", context: { value: "not-an-email" } },
    ],
    meta: {
      label: {
        id: 1070002,
        text: "E-Mail",
        type: "info",
        context: { title: "E-Mail", name: "traits.email" },
      },
    },
  });
  // Traits absent from the submission end up with no value (§3.7).
  assert.equal("value" in nodeOf(rendered, "traits.name.first").attributes, false);
  assert.deepEqual(globalMessages(rendered), []);
  // Fetching the flow shows the same error (the flow was persisted with it).
  const fetched = await fetchFlow(s, user.token, String(flow.id));
  assert.deepEqual(
    nodeOf(fetched, "traits.email").messages.map((m) => m.id),
    [4000040],
  );
  await assertUnchanged(s, before);
});

const MIN_LENGTH_SCHEMA = {
  $id: "https://example.com/person.schema.json",
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Person",
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
        name: {
          type: "object",
          properties: {
            first: { type: "string", title: "First Name", minLength: 5 },
            last: { type: "string", title: "Last Name" },
          },
        },
      },
      required: ["email"],
      additionalProperties: false,
    },
  },
};

test("seed: a name.first minLength error ⇒ 4000003 'length must be >= 5, but got 3' (browser and JSON)", async (t) => {
  const s = await server(t, onlySchema("person", MIN_LENGTH_SCHEMA));
  const user = await registerBrowser(s, "ada@example.com", { "traits.name.first": "Adaline" });
  const before = await snapshot(s, user.identityId);
  const flow = await browserFlow(s, user.jar);
  const res = await submitForm(s, user.jar, flow, {
    method: "profile",
    "traits.email": "ada@example.com",
    "traits.name.first": "Ada",
  });
  const rendered = await reRendered(s, user.jar, flow, res);
  const first = nodeOf(rendered, "traits.name.first");
  assert.equal(first.attributes.value, "Ada", "the submitted value is echoed");
  assert.deepEqual(first.messages, [
    {
      id: 4000003,
      text: "length must be >= 5, but got 3",
      type: "error",
      context: { min_length: 5, actual_length: 3 },
    },
  ]);
  assert.deepEqual(nodeOf(rendered, "traits.email").messages, []);
  await assertUnchanged(s, before);

  // Code points, not bytes: "Zoë" is 3 characters.
  const spa = await spaFlow(s, user.jar);
  const json = await user.jar.fetch(
    submitUrl(s, spa.id),
    jsonBody({
      method: "profile",
      traits: { email: "ada@example.com", name: { first: "Zoë" } },
      csrf_token: csrfOf(spa as never),
    }),
  );
  assert.equal(json.status, 400);
  assert.deepEqual(
    nodeOf(await flowOf(json), "traits.name.first").messages.map((m) => m.context),
    [{ min_length: 5, actual_length: 3 }],
  );
  await assertUnchanged(s, before);
});

test("seed: the saved message 1050001 and the updated identity after a profile change", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const flow = await spaFlow(s, user.jar);
  const updated = asSettingsFlow(
    await sdk(s, user.jar).updateSettingsFlow({
      flow: String(flow.id),
      updateSettingsFlowBody: {
        method: "profile",
        traits: { email: "ada@example.com", name: { first: "Augusta", last: "King" } },
        csrf_token: csrfOf(flow as never),
      },
    }),
  );
  assert.equal(updated.state, "success");
  assert.deepEqual(globalMessages(updated), [
    { id: 1050001, text: "Your changes have been saved!", type: "success" },
  ]);
  assert.deepEqual((updated.identity as Json).traits, {
    email: "ada@example.com",
    name: { first: "Augusta", last: "King" },
  });
  assert.equal(nodeOf(updated, "traits.name.first").attributes.value, "Augusta");
  assert.notEqual(csrfOf(updated as never), "", "the CSRF node survives the rebuild");
  // The addresses are untouched (same value ⇒ same id).
  const addresses = (updated.identity as Json).verifiable_addresses as Json[];
  assert.equal(addresses.length, 1);
  assert.equal(addresses[0]!.value, "ada@example.com");
});

/** Submits a password through an api flow; returns the rendered flow (asserting 400). */
async function rejectPassword(s: TestServer, token: string, password: string) {
  const res = await submitApi(s, token, { method: "password", password });
  assert.equal(res.status, 400, `${password}: ${await res.clone().text()}`);
  const rendered = await flowOf(res);
  const node = nodeOf(rendered, "password");
  assert.equal("value" in node.attributes, false, "the password node keeps no value");
  assert.deepEqual(globalMessages(rendered), []);
  return node.messages;
}

test("seed: the password policy errors (4000002, 4000032, 4000031, 4000039, 4000005)", async (t) => {
  const s = await server(t);
  const user = await registerApi(s, "ada.lovelace@example.com");
  const before = await snapshot(s, user.identityId);
  assert.deepEqual(await rejectPassword(s, user.token, ""), [
    { id: 4000002, text: "Property password is missing.", type: "error", context: { property: "password" } },
  ]);
  assert.deepEqual(await rejectPassword(s, user.token, "short1"), [
    {
      id: 4000032,
      text: "The password must be at least 8 characters long, but got 6.",
      type: "error",
      context: { min_length: 8, actual_length: 6 },
    },
  ]);
  // Bytes, not characters: "ééé" is 6 bytes.
  assert.deepEqual(
    (await rejectPassword(s, user.token, "ééé")).map((m) => m.context),
    [{ min_length: 8, actual_length: 6 }],
  );
  assert.deepEqual(await rejectPassword(s, user.token, "ada.lovelace@example.com1"), [
    {
      id: 4000031,
      text: "The password can not be used because it is too similar to the identifier.",
      type: "error",
    },
  ]);
  assert.deepEqual(await rejectPassword(s, user.token, PASSWORD), [
    { id: 4000039, text: "The new password must be different from the old password.", type: "error" },
  ]);
  const common = await rejectPassword(s, user.token, "iloveyou");
  assert.equal(common.length, 1);
  assert.equal(common[0]!.id, 4000005);
  assert.match(common[0]!.text, /^The password can not be used because .+\.$/);
  await assertUnchanged(s, before);
});

test("§13 bcrypt: a password over 72 bytes ⇒ 4000033", async (t) => {
  const s = await server(t, { hashers: { algorithm: "bcrypt", bcrypt: { cost: 4 } } });
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const long = `${"Xy7-".repeat(18)}abc`; // 75 bytes
  assert.deepEqual(await rejectPassword(s, user.token, long), [
    {
      id: 4000033,
      text: "The password must be at most 72 characters long, but got 75.",
      type: "error",
      context: { max_length: 72, actual_length: 75 },
    },
  ]);
  await assertUnchanged(s, before);
});

test("§13 the breached-password check uses the configured range API host", async (t) => {
  const { createServer } = await import("node:http");
  const { createHash } = await import("node:crypto");
  const pwned = "Breached-but-long-enough-42";
  const hash = createHash("sha1").update(pwned).digest("hex").toUpperCase();
  const seen: string[] = [];
  const range = createServer((req, res) => {
    seen.push(req.url ?? "");
    res.end(`${hash.slice(5)}:1,234\r\n0000000000000000000000000000000000A:3`);
  });
  await new Promise<void>((ok) => range.listen(0, "127.0.0.1", ok));
  t.after(() => new Promise<void>((ok) => range.close(() => ok())));
  const port = (range.address() as { port: number }).port;
  // The range API is always https; route it to the local http server through the app's fetch.
  const { startTestServer } = await import("../helpers/server.ts");
  const s = await startTestServer(
    {
      selfservice: {
        methods: {
          password: { config: { haveibeenpwned_enabled: true, haveibeenpwned_host: `pwned.test:${port}` } },
        },
      },
    },
    {
      fetch: ((input: string | URL | Request, init?: RequestInit) => {
        const target = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
        if (target.hostname === "pwned.test") {
          target.protocol = "http:";
          target.hostname = "127.0.0.1";
        }
        return fetch(target, init);
      }) as typeof fetch,
    },
  );
  t.after(() => s.close());
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  assert.deepEqual(await rejectPassword(s, user.token, pwned), [
    {
      id: 4000034,
      text: "The password has been found in data breaches and must no longer be used.",
      type: "error",
      context: { breaches: 1234 },
    },
  ]);
  assert.ok(seen.includes(`/range/${hash.slice(0, 5)}`), seen.join(","));
  await assertUnchanged(s, before);
});

test("seed: privileged_session_max_age 1m — browsers are sent to a refresh login, native apps get 403", async (t) => {
  const s = await server(t, { selfservice: { flows: { settings: { privileged_session_max_age: "1m" } } } });
  const browser = await registerBrowser(s, "ada@example.com");
  const api = await registerApi(s, "eve@example.com");
  const browserBefore = await snapshot(s, browser.identityId);
  const apiBefore = await snapshot(s, api.identityId);
  s.clock.advance(2 * MINUTE);

  const flow = await browserFlow(s, browser.jar);
  const res = await submitForm(s, browser.jar, flow, { method: "password", password: NEW_PASSWORD });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), refreshLoginUrl(s, String(flow.id)));

  const native = await apiFlow(s, api.token);
  const refused = await postWithToken(s, api.token, native.id, {
    method: "password",
    password: NEW_PASSWORD,
  });
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.headers.getSetCookie(), []);
  const error = await errorOf(refused, "needsPrivilegedSessionError");
  assert.equal(error.id, "session_refresh_required");
  await assertUnchanged(s, browserBefore);
  await assertUnchanged(s, apiBefore);

  // Within the minute it just works.
  const fresh = await registerApi(s, "fresh@example.com");
  s.clock.advance(30 * 1000);
  const ok = await submitApi(s, fresh.token, { method: "password", password: NEW_PASSWORD });
  assert.equal(ok.status, 200);
});

test("seed: with an old session a name change succeeds, an e-mail change needs re-authentication", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  s.clock.advance(3 * HOUR);
  const flow = await browserFlow(s, user.jar);
  const name = await submitForm(s, user.jar, flow, {
    method: "profile",
    "traits.email": "ada@example.com",
    "traits.name.first": "Augusta",
  });
  assert.equal((await reRendered(s, user.jar, flow, name)).state, "success");
  const before = await snapshot(s, user.identityId);
  assert.deepEqual(before.traits, { email: "ada@example.com", name: { first: "Augusta" } });

  const email = await submitForm(s, user.jar, flow, {
    method: "profile",
    "traits.email": "ada2@example.com",
  });
  assert.equal(email.status, 303);
  assert.equal(email.headers.get("location"), refreshLoginUrl(s, String(flow.id)));
  await assertUnchanged(s, before);
});

test("seed: a duplicate e-mail (another user's) ⇒ global 4000007", async (t) => {
  const s = await server(t);
  await registerApi(s, "taken@example.com");
  const user = await registerApi(s, "ada@example.com");
  const before = await snapshot(s, user.identityId);
  const res = await submitApi(s, user.token, { method: "profile", traits: { email: "taken@example.com" } });
  assert.equal(res.status, 400, await res.clone().text());
  const rendered = await flowOf(res);
  assert.deepEqual(globalMessages(rendered), [
    {
      id: 4000007,
      text: "An account with the same identifier (email, phone, username, ...) exists already.",
      type: "error",
    },
  ]);
  assert.equal(
    nodeOf(rendered, "traits.email").attributes.value,
    "taken@example.com",
    "submitted value echoed",
  );
  await assertUnchanged(s, before);
  assert.equal(await canLogin(s, "ada@example.com", PASSWORD), true);
});

test("seed: the settings docs' node groups for native apps (profile group and password group)", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const flow = asSettingsFlow(await nativeSdk(s).createNativeSettingsFlow({ xSessionToken: user.token }));
  const groups = nodesOf(flow).map((n) => `${n.group}:${n.attributes.name}`);
  assert.deepEqual(groups, [
    "default:csrf_token",
    "profile:traits.email",
    "profile:traits.name.first",
    "profile:traits.name.last",
    "profile:method",
    "password:password",
    "password:method",
  ]);
  // The flow is fetchable by id with the token (docs "Settings flow payloads").
  const fetched = asSettingsFlow(
    await nativeSdk(s).getSettingsFlow({ id: String(flow.id), xSessionToken: user.token }),
  );
  assert.equal(fetched.id, flow.id);
});

test("§5.4 addresses: a new e-mail gets a new pending address; a name change keeps the address", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const submit = async (traits: Json) => {
    const res = await submitApi(s, user.token, { method: "profile", traits });
    assert.equal(res.status, 200, await res.clone().text());
    return (await flowOf(res)).identity as Json & {
      verifiable_addresses: Json[];
      recovery_addresses: Json[];
    };
  };
  const first = await submit({ email: "ada@example.com", name: { first: "Renamed" } });
  const before = (await s.store.getIdentity(user.identityId))!;
  assert.equal(first.verifiable_addresses[0]!.id, before.verifiableAddresses[0]!.id);
  const oldAddressId = first.verifiable_addresses[0]!.id;

  const second = await submit({ email: "Ada.New@Example.com" });
  assert.equal(second.verifiable_addresses.length, 1);
  const address = second.verifiable_addresses[0]!;
  assert.notEqual(address.id, oldAddressId);
  assert.equal(address.value, "ada.new@example.com", "addresses are normalised; traits are not");
  assert.equal(address.verified, false);
  assert.equal(address.status, "pending");
  assert.equal(second.recovery_addresses[0]!.value, "ada.new@example.com");
  assert.deepEqual((second.traits as Json).email, "Ada.New@Example.com");
  assert.equal(await canLogin(s, "ada.new@example.com", PASSWORD), true);
});

test("§13 breach API unreachable with ignore_network_errors: false ⇒ 502 upstream_error, not rendered", async (t) => {
  // Registration runs the same check, so the user registers on a default server first and a second
  // server (same database) has the strict breach check with an unreachable range API.
  const first = await server(t);
  const user = await registerApi(first);
  const { startTestServer } = await import("../helpers/server.ts");
  const s = await startTestServer(
    {
      selfservice: {
        methods: {
          password: {
            config: {
              haveibeenpwned_enabled: true,
              haveibeenpwned_host: "pwned.test",
              ignore_network_errors: false,
            },
          },
        },
      },
    },
    {
      dsn: first.app.deps.config.raw.dsn,
      fetch: ((input: string | URL | Request, init?: RequestInit) => {
        const target = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
        if (target.hostname === "pwned.test") return Promise.reject(new TypeError("fetch failed"));
        return fetch(input, init);
      }) as typeof fetch,
    },
  );
  t.after(() => s.close());
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, { method: "password", password: NEW_PASSWORD });
  assert.equal(res.status, 502, await res.clone().text());
  const error = await errorOf(res);
  assert.equal(error.id, "upstream_error");
  await assertUnchanged(s, before);
  const fetched = await fetchFlow(s, user.token, String(flow.id));
  assert.deepEqual(nodeOf(fetched, "password").messages, [], "not rendered into the flow");
});
