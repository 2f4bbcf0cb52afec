import assert from "node:assert/strict";
import { test } from "node:test";
import { linkingNodes } from "../../server/methods/oidc/account-linking.ts";
import { PASSWORD, registerNative } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import {
  browserFlow,
  CookieJar,
  csrfOf,
  form,
  jsonnetSkip,
  oidcWorld,
  roundTrip,
  url,
  whoami,
} from "./support.ts";

test("a provider email that belongs to an account leads to a 1010016 login that links the provider", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  const { identityId } = await registerNative(w.s, "alice@example.com");
  const jar = new CookieJar();
  const reg = await browserFlow(w.s, jar, "registration");
  const res = await roundTrip(w, jar, "registration", reg);
  assert.equal(res.status, 303);
  const to = new URL(res.headers.get("location")!);
  assert.equal(`${to.origin}${to.pathname}`, w.s.app.deps.config.ui.login);
  const loginId = to.searchParams.get("flow")!;
  const flowRes = await jar.fetch(url(w.s, `/self-service/login/flows?id=${loginId}`), {
    headers: { accept: "application/json" },
  });
  const flow = (await flowRes.json()) as {
    ui: { messages: { id: number; text: string; context: Record<string, unknown> }[]; nodes: never[] };
  };
  assertSchema("loginFlow", flow);
  assert.equal(flow.ui.messages[0]!.id, 1010016);
  assert.match(
    flow.ui.messages[0]!.text,
    /You tried to sign in with "alice@example.com", but that email is already used by another account/,
  );
  assert.equal(flow.ui.messages[0]!.context.provider, "Loopback ID");
  assert.equal(flow.ui.messages[0]!.context.new_login_url, w.s.app.deps.config.ui.login);
  assert.deepEqual(flow.ui.messages[0]!.context.available_credential_types, []);
  assert.equal(to.searchParams.get("no_org_ui"), "true");
  // Kratos's account-linking form: not the provider the person came with, and the identifier is the
  // account's own, hidden.
  const nodes = flow.ui.nodes as { group: string; attributes: Record<string, unknown> }[];
  assert.ok(
    !nodes.some((n) => n.group === "oidc" && n.attributes.value === "loopback"),
    "no loopback button",
  );
  const identifier = nodes.find((n) => n.attributes.name === "identifier");
  assert.equal(identifier?.attributes.type, "hidden");
  assert.equal(identifier?.attributes.value, "alice@example.com");
  assert.ok(nodes.some((n) => n.group === "password" && n.attributes.type === "submit"));
  assert.equal((await whoami(w.s, jar)).status, 401, "no account was created and nobody is signed in");

  // Signing in with the existing password links the provider.
  const done = await jar.fetch(
    url(w.s, `/self-service/login?flow=${loginId}`),
    form({
      method: "password",
      identifier: "alice@example.com",
      password: PASSWORD,
      csrf_token: csrfOf(flow as never),
    }),
  );
  assert.equal(done.status, 303);
  const me = await whoami(w.s, jar);
  assert.equal(me.body.identity.id, identityId);
  const admin = (await (await fetch(new URL(`identities/${identityId}`, w.s.adminUrl))).json()) as {
    credentials: { oidc?: { identifiers: string[] } };
  };
  assert.deepEqual(admin.credentials.oidc?.identifiers, ["loopback:alice-sub"]);

  // From now on the provider signs in to that account directly.
  const other = new CookieJar();
  const login = await browserFlow(w.s, other, "login");
  assert.equal((await roundTrip(w, other, "login", login)).status, 303);
  assert.equal((await whoami(w.s, other)).body.identity.id, identityId);
});

test("the linking login's nodes: Kratos's populateAccountLinkingUI", () => {
  const label = (id: number, text: string, context?: Record<string, unknown>) => ({
    id,
    text,
    type: "info" as const,
    ...(context ? { context } : {}),
  });
  const input = (group: string, name: string, type: string, value: unknown, meta: object = {}) => ({
    type: "input" as const,
    group,
    attributes: { name, type, value, node_type: "input" as const, disabled: false },
    messages: [],
    meta,
  });
  const oidc = (id: string, name: string) =>
    input("oidc", "provider", "submit", id, {
      label: label(1010002, `Sign in with ${name}`, { provider: name, provider_id: id }),
    });
  const nodes = linkingNodes(
    [
      input("default", "csrf_token", "hidden", "t"),
      input("default", "identifier", "text", "", { label: label(1070004, "ID") }),
      input("password", "password", "password", undefined, { label: label(1070001, "Password") }),
      input("password", "method", "submit", "password", { label: label(1010001, "Sign in") }),
      oidc("loopback", "Loopback ID"),
      oidc("other", "Other"),
    ] as never,
    "loopback",
    "alice@example.com",
  );
  assert.deepEqual(
    nodes.map((n) => [n.group, (n.attributes as { name: string }).name, n.meta.label?.id]),
    [
      ["default", "csrf_token", undefined],
      ["default", "identifier", 1070004],
      ["password", "password", 1070001],
      ["password", "method", 1010017],
      ["oidc", "provider", 1010018],
    ],
  );
  assert.deepEqual(nodes[1]!.attributes, {
    name: "identifier",
    type: "hidden",
    value: "alice@example.com",
    node_type: "input",
    disabled: false,
  });
  assert.deepEqual(nodes[3]!.meta.label, { id: 1010017, text: "Sign in and link", type: "info" });
  assert.deepEqual(nodes[4]!.meta.label, {
    id: 1010018,
    text: "Confirm with Other",
    type: "info",
    context: { provider: "Other" },
  });
});
