/**
 * Issue 14's promise: Ory's SDK and UIs keep working with every account feature switched on —
 * export, deletion, security history, held address changes with the old address's notice
 * (`verify_new_address` + `notify_previous_addresses`), and traits with `tessera.dev/policy` rules.
 * An SPA (browser flows, cookies) and a native app (session token) go through registration, login,
 * whoami, settings (profile and password) and logout with `@ory/client-fetch`; every JSON response
 * on the wire is checked against Kratos's OpenAPI document, and the settings flow is rendered by
 * `@ory/elements-react`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Configuration, FrontendApi } from "@ory/client-fetch";
import type { ConfigInput } from "../../server/config/schema.ts";
import { CookieJar, csrfOf, JSON_ACCEPT, PASSWORD } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { attrOf, renderSettings, tagWithTestId } from "../helpers/ory-elements.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { base64Schema } from "../settings/helpers.ts";
import { HELD_ADDRESS_CHANGE_FLOWS } from "./support.ts";

const NEW_PASSWORD = "Another-battery-staple-9153";

/** Ory's email-password quickstart schema with traits that carry Tessera's per-trait rules. */
function policySchema(): unknown {
  const schema = JSON.parse(
    readFileSync(
      new URL("../fixtures/identity-schemas/quickstart-email-password.identity.schema.json", import.meta.url),
      "utf8",
    ),
  ) as { $id: string; properties: { traits: { properties: Record<string, unknown> } } };
  schema.$id = "https://example.com/features-on.schema.json";
  Object.assign(schema.properties.traits.properties, {
    nickname: { type: "string", title: "Nickname", "tessera.dev/policy": { privileged: true } },
    tier: { type: "string", title: "Tier", "tessera.dev/policy": { admin_only: true } },
  });
  return schema;
}

const FEATURES_ON: ConfigInput = {
  identity: {
    default_schema_id: "features",
    schemas: [{ id: "features", url: base64Schema(policySchema()) }],
  },
  selfservice: {
    flows: HELD_ADDRESS_CHANGE_FLOWS,
  },
  account: {
    export: { enabled: true },
    deletion: { enabled: true },
    history: { enabled: true },
  },
};

interface Seen {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/**
 * The Kratos OpenAPI schema of each JSON answer the SDK gets in these flows. Error bodies are
 * `errorGeneric`; a form answered with field messages (400) is the flow again.
 */
function schemaFor(seen: Seen): string {
  const { method, path, status } = seen;
  if (status >= 400 && !(status === 400 && method === "POST" && /^\/self-service\//.test(path)))
    return "errorGeneric";
  const key = `${method} ${path}`;
  switch (key) {
    case "GET /self-service/registration/browser":
    case "GET /self-service/registration/api":
      return "registrationFlow";
    case "POST /self-service/registration":
      return status === 200 ? "successfulNativeRegistration" : "registrationFlow";
    case "GET /self-service/login/browser":
    case "GET /self-service/login/api":
      return "loginFlow";
    case "POST /self-service/login":
      return status === 200 ? "successfulNativeLogin" : "loginFlow";
    case "GET /sessions/whoami":
      return "session";
    case "GET /self-service/settings/browser":
    case "GET /self-service/settings/api":
    case "GET /self-service/settings/flows":
    case "POST /self-service/settings":
      return "settingsFlow";
    case "GET /self-service/logout/browser":
      return "logoutFlow";
    default:
      throw new Error(`no schema known for ${key} (${status})`);
  }
}

/** The SDK over a fetch that keeps every JSON answer; `jar` carries cookies for browser flows. */
function recordingSdk(s: TestServer, jar?: CookieJar) {
  const seen: Seen[] = [];
  const base = jar?.fetch ?? fetch;
  const recording: typeof fetch = async (input, init) => {
    const res = await base(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const type = res.headers.get("content-type") ?? "";
    if (type.startsWith("application/json")) {
      seen.push({
        method: (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase(),
        path: url.pathname,
        status: res.status,
        body: await res.clone().json(),
      });
    }
    return res;
  };
  const sdk = new FrontendApi(
    new Configuration({
      basePath: s.publicUrl.replace(/\/$/, ""),
      fetchApi: recording,
      headers: { Accept: "application/json" },
    }),
  );
  return { sdk, seen };
}

function assertAllConform(seen: readonly Seen[]) {
  assert.ok(seen.length > 0);
  for (const answer of seen) assertSchema(schemaFor(answer), answer.body);
}

async function identityOf(s: TestServer, id: string) {
  const res = await fetch(new URL(`admin/identities/${id}`, s.adminUrl), { headers: JSON_ACCEPT });
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  assertSchema("identity", body);
  return body as { traits: { email: string; nickname?: string; name?: { first?: string } } };
}

async function server(t: { after: (fn: () => unknown) => void }): Promise<TestServer> {
  const s = await startTestServer(FEATURES_ON);
  t.after(() => s.close());
  return s;
}

const traits = (email: string) => ({ email, name: { first: "Ada", last: "Lovelace" }, nickname: "ada" });

test("features on, SPA: registration, whoami, settings (profile, held email, password), logout, login through @ory/client-fetch; every answer per Kratos's OpenAPI", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const { sdk, seen } = recordingSdk(s, jar);

  const reg = await sdk.createBrowserRegistrationFlow();
  const bad = await sdk
    .updateRegistrationFlow({
      flow: reg.id,
      updateRegistrationFlowBody: {
        method: "password",
        password: PASSWORD,
        traits: { ...traits("ada@example.com"), tier: "gold" },
        csrf_token: csrfOf(reg as never),
      },
    })
    .then(
      () => assert.fail("an admin-only trait is refused"),
      (err: { response?: Response }) => err.response?.status,
    );
  assert.equal(bad, 400);
  const registered = await sdk.updateRegistrationFlow({
    flow: reg.id,
    updateRegistrationFlowBody: {
      method: "password",
      password: PASSWORD,
      traits: traits("ada@example.com"),
      csrf_token: csrfOf(reg as never),
    },
  });
  const id = registered.identity.id;
  assert.ok(jar.cookies.has("ory_kratos_session"));

  const session = await sdk.toSession();
  assert.equal(session.identity?.id, id);

  // Profile: a name change saves; an email change is held (the flow says so, the address stays).
  let flow = await sdk.createBrowserSettingsFlow();
  flow = await sdk.updateSettingsFlow({
    flow: flow.id,
    updateSettingsFlowBody: {
      method: "profile",
      traits: { ...traits("ada@example.com"), name: { first: "Augusta", last: "Lovelace" } },
      csrf_token: csrfOf(flow as never),
    },
  });
  assert.equal(flow.state, "success");
  assert.equal((await identityOf(s, id)).traits.name?.first, "Augusta");
  flow = await sdk.createBrowserSettingsFlow();
  flow = await sdk.updateSettingsFlow({
    flow: flow.id,
    updateSettingsFlowBody: {
      method: "profile",
      traits: { ...traits("ada@new.example"), name: { first: "Augusta", last: "Lovelace" } },
      csrf_token: csrfOf(flow as never),
    },
  });
  assert.ok(
    flow.continue_with?.some((c) => c.action === "show_verification_ui"),
    JSON.stringify(flow.continue_with),
  );
  assert.equal((await identityOf(s, id)).traits.email, "ada@example.com", "held until verified");

  // The settings flow with the pending change, as Ory Elements renders it.
  const shown = await sdk.createBrowserSettingsFlow();
  assert.ok(
    shown.ui.nodes.some((n) => (n.attributes as { name?: string }).name === "cancel_pending_address"),
  );
  const html = renderSettings(s, seen.at(-1)!.body as object);
  assert.equal(attrOf(tagWithTestId(html, "ory/form/node/input/traits.email"), "value"), "ada@example.com");
  assert.ok(tagWithTestId(html, "ory/form/node/input/traits.nickname"), "the rule-carrying trait is a field");
  assert.ok(tagWithTestId(html, "ory/form/node/input/password"), "the password form");
  assert.match(html, /name="cancel_pending_address"/, "the cancel button");
  assert.equal(
    attrOf(tagWithTestId(html, "ory/form/node/input/csrf_token"), "value"),
    csrfOf(shown as never),
    "the CSRF token",
  );

  // Password.
  const pw = await sdk.updateSettingsFlow({
    flow: shown.id,
    updateSettingsFlowBody: {
      method: "password",
      password: NEW_PASSWORD,
      csrf_token: csrfOf(shown as never),
    },
  });
  assert.equal(pw.state, "success");

  // Logout, then login with the new password.
  const logout = await sdk.createBrowserLogoutFlow();
  await sdk.updateLogoutFlow({ token: logout.logout_token });
  assert.equal(
    await sdk.toSession().then(
      () => 200,
      (err: { response?: Response }) => err.response?.status,
    ),
    401,
  );
  const login = await sdk.createBrowserLoginFlow();
  const signedIn = await sdk.updateLoginFlow({
    flow: login.id,
    updateLoginFlowBody: {
      method: "password",
      identifier: "ada@example.com",
      password: NEW_PASSWORD,
      csrf_token: csrfOf(login as never),
    },
  });
  assert.equal(signedIn.session.identity?.id, id);
  assert.equal((await sdk.toSession()).identity?.id, id);

  assertAllConform(seen);
  const paths = new Set(seen.map((x) => `${x.method} ${x.path}`));
  for (const p of [
    "POST /self-service/registration",
    "GET /sessions/whoami",
    "POST /self-service/settings",
    "GET /self-service/logout/browser",
    "POST /self-service/login",
  ])
    assert.ok(paths.has(p), `${p} was checked`);
});

test("features on, native app: registration, login, whoami, settings, logout with a session token; every answer per Kratos's OpenAPI", async (t) => {
  const s = await server(t);
  const { sdk, seen } = recordingSdk(s);

  const reg = await sdk.createNativeRegistrationFlow();
  const registered = await sdk.updateRegistrationFlow({
    flow: reg.id,
    updateRegistrationFlowBody: { method: "password", password: PASSWORD, traits: traits("ada@example.com") },
  });
  const id = registered.identity.id;
  assert.ok(registered.session_token);

  const login = await sdk.createNativeLoginFlow();
  const signedIn = await sdk.updateLoginFlow({
    flow: login.id,
    updateLoginFlowBody: { method: "password", identifier: "ada@example.com", password: PASSWORD },
  });
  const token = signedIn.session_token!;
  assert.equal((await sdk.toSession({ xSessionToken: token })).identity?.id, id);

  const flow = await sdk.createNativeSettingsFlow({ xSessionToken: token });
  const profile = await sdk.updateSettingsFlow({
    flow: flow.id,
    xSessionToken: token,
    updateSettingsFlowBody: {
      method: "profile",
      traits: { ...traits("ada@example.com"), nickname: "countess" },
    },
  });
  assert.equal(profile.state, "success");
  assert.equal((await identityOf(s, id)).traits.nickname, "countess");
  const password = await sdk.updateSettingsFlow({
    flow: flow.id,
    xSessionToken: token,
    updateSettingsFlowBody: { method: "password", password: NEW_PASSWORD },
  });
  assert.equal(password.state, "success");

  await sdk.performNativeLogout({ performNativeLogoutBody: { session_token: token } });
  const after = await sdk.toSession({ xSessionToken: token }).then(
    () => 200,
    (err: { response?: Response }) => err.response?.status,
  );
  assert.equal(after, 401);

  assertAllConform(seen);
  assert.ok(
    seen.some((x) => x.path === "/sessions/whoami" && x.status === 401),
    "the 401 error checked too",
  );
});
