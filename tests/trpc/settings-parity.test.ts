import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import {
  csrfTokenOf,
  expiredFlowOf,
  isRefreshRequired,
  type PublicInputs,
  type PublicOutputs,
  type TesseraClient,
} from "../../client/index.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import {
  admin,
  assertUnchanged,
  blanked,
  CookieJar,
  canLogin,
  client,
  globalMessageIds,
  HOUR,
  type IdentityState,
  identityState,
  MINUTE,
  NEW_PASSWORD,
  nodeOf,
  PASSWORD,
  Recorder,
  restJson,
  server,
  trpcError,
  url,
} from "./support.ts";

/**
 * The settings scenarios of tests/settings/ (matrix, seed, reauth, edge cases) through the typed tRPC
 * client, for the profile and the password method, for a browser (cookie jar + the flow's CSRF token)
 * and a native app (session token). Wherever REST answers the same input, the tRPC answer is compared
 * with it (the flow JSON of a form, the Kratos envelope of an error), and every negative case ends
 * with the identity's traits and password hash unchanged through the admin API.
 */

type Kind = "browser" | "api";
const KINDS: readonly Kind[] = ["browser", "api"];
type Body = PublicInputs["settings"]["submit"]["body"];
type Flow = PublicOutputs["settings"]["create"];
type Json = Record<string, unknown>;

const THIRD_PASSWORD = "Yet-another-staple-5530";
const UNKNOWN = "8f0b7a56-3a3e-4b55-9d7e-1f0c1b2a3c4d";
const REFRESH_REASON =
  "The login session is too old and thus not allowed to update these fields. Please re-authenticate.";
const DISABLED_REASON =
  "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.";

// ---------------------------------------------------------------------------------------------
// Users and the two doors

/** A signed-in user behind the typed client: a browser (cookie jar) or a native app (token). */
interface User {
  kind: Kind;
  identityId: string;
  email: string;
  trpc: TesseraClient;
  /** Sees the Set-Cookie lines of the last tRPC response. */
  recorder: Recorder;
  jar?: CookieJar;
  token?: string;
}

/** Registers through tRPC (browser: cookies + CSRF token; api: the returned session token). */
async function signUp(s: TestServer, kind: Kind, email = "ada@example.com"): Promise<User> {
  const jar = kind === "browser" ? new CookieJar() : undefined;
  const trpc = client(s, jar ? { jar } : {});
  const flow = await trpc.registration.create.mutate({ type: kind });
  const res = await trpc.registration.submit.mutate({
    flow: flow.id,
    body: {
      method: "password",
      password: PASSWORD,
      traits: { email, name: { first: "Ada", last: "Lovelace" } },
      ...(jar ? { csrf_token: csrfTokenOf(flow) } : {}),
    },
  });
  assert.equal(res.status, "success");
  if (res.status !== "success") throw new Error("unreachable");
  const token = res.session_token;
  if (kind === "api") assert.ok(token);
  else assert.ok(jar?.cookies.has("ory_kratos_session"));
  return bind(s, { kind, identityId: res.identity.id, email, ...(jar ? { jar } : { token }) });
}

/** The same user (same cookies or token) on a server, e.g. a second one sharing the database. */
function bind(s: TestServer, u: Pick<User, "kind" | "identityId" | "email" | "jar" | "token">): User {
  const recorder = new Recorder(u.jar?.fetch);
  const trpc = client(s, { fetch: recorder.fetch, ...(u.token ? { sessionToken: u.token } : {}) });
  return { ...u, trpc, recorder };
}

function newFlow(u: User): Promise<Flow> {
  return u.trpc.settings.create.mutate({ type: u.kind });
}

/**
 * The body as the caller sends it: browser flows carry the flow's CSRF token unless `csrf` names
 * another one (`null`: none at all); api flows carry `csrf` only when given.
 */
function withCsrf(u: User, flow: unknown, body: Body, csrf?: string | null): Body {
  const token = csrf === undefined && u.kind === "browser" ? csrfTokenOf(flow as Flow) : csrf;
  return typeof token === "string" ? { ...body, csrf_token: token } : body;
}

/** Submits through the typed client. */
function submit(u: User, flow: Flow, body: Body, csrf?: string | null) {
  return u.trpc.settings.submit.mutate({ flow: flow.id, body: withCsrf(u, flow, body, csrf) });
}

/** The REST twin of each call, made by the same user the way an SPA or a native app makes it. */
const rest = {
  init(u: User): { fetchImpl: typeof fetch; headers: Record<string, string> } {
    return {
      fetchImpl: u.jar?.fetch ?? fetch,
      headers: u.token ? { "x-session-token": u.token } : {},
    };
  },
  async newFlow(s: TestServer, u: User, query = ""): Promise<Json> {
    const { fetchImpl, headers } = rest.init(u);
    const res = await restJson(s, `/self-service/settings/${u.kind}${query}`, { headers }, fetchImpl);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  },
  get(s: TestServer, u: User, id: string) {
    const { fetchImpl, headers } = rest.init(u);
    return restJson(s, `/self-service/settings/flows?id=${id}`, { headers }, fetchImpl);
  },
  submit(s: TestServer, u: User, flow: Json, body: Body, csrf?: string | null) {
    const { fetchImpl, headers } = rest.init(u);
    return restJson(
      s,
      `/self-service/settings?flow=${String(flow.id)}`,
      { method: "POST", headers, body: JSON.stringify(withCsrf(u, flow, body, csrf)) },
      fetchImpl,
    );
  },
};

type TypedError = Awaited<ReturnType<typeof trpcError>>;

/** Asserts a typed error: its tRPC code, the REST status and the Kratos error id. */
function assertError(err: TypedError, code: string, httpStatus: number, id?: string): void {
  assert.equal(err.data.code, code, JSON.stringify(err.data.kratos));
  assert.equal(err.data.httpStatus, httpStatus);
  assert.equal(err.data.kratos.error.code, httpStatus);
  if (id) assert.equal(err.data.kratos.error.id, id);
}

/** The tRPC error carries exactly the envelope REST answered (ids blanked on either side). */
function assertSameError(
  err: TypedError,
  restRes: { status: number; body: Json },
  ids: { trpc?: unknown[]; rest?: unknown[] } = {},
): void {
  assert.equal(err.data.httpStatus, restRes.status, JSON.stringify(restRes.body));
  assert.deepEqual(blanked(err.data.kratos, ids.trpc), blanked(restRes.body, ids.rest));
}

/** The refresh-login URL a paused change points at (contract §10.3). */
function refreshLoginUrl(s: TestServer, flowId: string): string {
  const u = new URL("self-service/login/browser", s.publicUrl);
  u.searchParams.set("refresh", "true");
  u.searchParams.set("return_to", url(s, `/self-service/settings?flow=${flowId}`));
  return u.toString();
}

// ---------------------------------------------------------------------------------------------
// The two methods

interface MethodCase {
  method: "profile" | "password";
  /** A body that succeeds. `twin` picks the REST twin's variant where repeating it would fail. */
  success(u: User, twin?: boolean): Body;
  /** Checks the identity after the successful submission. */
  applied(s: TestServer, u: User, before: IdentityState): Promise<void>;
  /** A body that needs a privileged session. */
  privileged(u: User): Body;
  disabled: ConfigInput;
}

const GRACE = { first: "Grace", last: "Hopper" };

const METHODS: readonly MethodCase[] = [
  {
    method: "profile",
    success: (u) => ({ method: "profile", traits: { email: u.email, name: GRACE } }),
    async applied(s, u, before) {
      const now = await identityState(s, u.identityId);
      assert.deepEqual(now.traits, { email: u.email, name: GRACE });
      assert.equal(now.hash, before.hash, "a profile change keeps the password");
    },
    // A new login identifier is a protected change (§5.3).
    privileged: () => ({ method: "profile", traits: { email: "ada.new@example.com", name: GRACE } }),
    disabled: { selfservice: { methods: { profile: { enabled: false } } } },
  },
  {
    method: "password",
    success: (_u, twin) => ({ method: "password", password: twin ? THIRD_PASSWORD : NEW_PASSWORD }),
    async applied(s, u, before) {
      const now = await identityState(s, u.identityId);
      assert.notEqual(now.hash, before.hash, "a new hash is stored");
      assert.deepEqual(now.traits, before.traits, "a password change keeps the traits");
      assert.equal(await canLogin(s, u.email, NEW_PASSWORD), true, "the new password signs in");
      assert.equal(await canLogin(s, u.email, PASSWORD), false, "the old one no longer does");
    },
    // The password method always needs a privileged session (§6.2).
    privileged: () => ({ method: "password", password: NEW_PASSWORD }),
    disabled: { selfservice: { methods: { password: { enabled: false } } } },
  },
];

// ---------------------------------------------------------------------------------------------
// Success

for (const kind of KINDS) {
  for (const m of METHODS) {
    test(`${m.method} × ${kind}: success — saved flow, 1050001, identity changed; same flow as REST`, async (t) => {
      const s = await server(t);
      const u = await signUp(s, kind);
      const before = await identityState(s, u.identityId);
      const flow = await newFlow(u);
      assertSchema("settingsFlow", flow);
      assert.equal(flow.type, kind);

      const res = await submit(u, flow, m.success(u));
      assert.equal(res.status, "success");
      if (res.status !== "success") return;
      const { status: _status, ...body } = res;
      assertSchema("settingsFlow", body);
      assert.equal(res.id, flow.id);
      assert.equal(res.state, "success");
      assert.deepEqual(res.ui.messages, [
        { id: 1050001, text: "Your changes have been saved!", type: "success" },
      ]);
      for (const n of res.ui.nodes) assert.deepEqual(n.messages, [], "no node messages after success");
      if (kind === "browser") {
        assert.deepEqual(res.continue_with, [
          { action: "redirect_browser_to", redirect_browser_to: `${url(s, "/ui/settings")}?flow=${flow.id}` },
        ]);
        assert.ok(u.recorder.set("ory_kratos_session"), "the session cookie is re-issued");
        assert.notEqual(csrfTokenOf(res), "", "the CSRF node survives the rebuild");
      } else {
        assert.equal(res.continue_with, undefined, "api flows get no redirect_browser_to");
        assert.deepEqual(u.recorder.lastSetCookies, [], "api flows set no cookies");
      }
      await m.applied(s, u, before);

      // The stored flow is the one returned.
      const { continue_with: _c, ...saved } = body;
      assert.deepEqual(await u.trpc.settings.get.query({ id: flow.id }), saved);

      // REST answers the same body for the same change (password: another new one, as the first is
      // now the current password).
      const twin = await rest.newFlow(s, u);
      const restRes = await rest.submit(s, u, twin, m.success(u, true));
      assert.equal(restRes.status, 200, JSON.stringify(restRes.body));
      assert.deepEqual(blanked(body, [flow.id]), blanked(restRes.body, [twin.id]));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Validation errors: a form result carrying the same flow REST answers with 400

interface InvalidCase {
  name: string;
  body: (u: User) => Body;
  check(flow: Flow): void;
}

function passwordMessages(expected: unknown[]) {
  return (flow: Flow) => {
    const node = nodeOf(flow, "password");
    assert.deepEqual(node.messages, expected);
    assert.equal("value" in node.attributes, false, "the password node never carries a value");
    assert.deepEqual(globalMessageIds(flow), []);
  };
}

const INVALID: readonly InvalidCase[] = [
  {
    name: "profile: not an email ⇒ 4000040 on traits.email, value echoed",
    body: () => ({ method: "profile", traits: { email: "not-an-email", name: { first: "Ada" } } }),
    check(flow) {
      const node = nodeOf(flow, "traits.email");
      assert.deepEqual(node.messages, [
        {
          id: 4000040,
          text: "Enter a valid email address",
          type: "error",
          context: { value: "not-an-email" },
        },
      ]);
      assert.equal(node.attributes.value, "not-an-email");
      assert.equal(nodeOf(flow, "traits.name.first").attributes.value, "Ada");
      assert.deepEqual(globalMessageIds(flow), []);
    },
  },
  {
    name: "password: missing ⇒ 4000002",
    // Untyped caller: the field is absent altogether.
    body: () => ({ method: "password" }) as unknown as Body,
    check: passwordMessages([
      {
        id: 4000002,
        text: "Property password is missing.",
        type: "error",
        context: { property: "password" },
      },
    ]),
  },
  {
    name: "password: empty ⇒ 4000002",
    body: () => ({ method: "password", password: "" }),
    check: passwordMessages([
      {
        id: 4000002,
        text: "Property password is missing.",
        type: "error",
        context: { property: "password" },
      },
    ]),
  },
  {
    name: "password: too short ⇒ 4000032",
    body: () => ({ method: "password", password: "short1" }),
    check: passwordMessages([
      {
        id: 4000032,
        text: "The password must be at least 8 characters long, but got 6.",
        type: "error",
        context: { min_length: 8, actual_length: 6 },
      },
    ]),
  },
  {
    name: "password: same as the old one ⇒ 4000039",
    body: () => ({ method: "password", password: PASSWORD }),
    check: passwordMessages([
      { id: 4000039, text: "The new password must be different from the old password.", type: "error" },
    ]),
  },
  {
    name: "unknown method ⇒ global 4010004",
    body: () => ({ method: "telepathy" }) as unknown as Body,
    check(flow) {
      assert.deepEqual(flow.ui.messages, [
        {
          id: 4010004,
          text: "Could not find a strategy to update your settings. Did you fill out the form correctly?",
          type: "error",
        },
      ]);
      for (const n of flow.ui.nodes) assert.deepEqual(n.messages, []);
    },
  },
];

for (const kind of KINDS) {
  for (const c of INVALID) {
    test(`${kind}: ${c.name} — a form, the same flow as REST, nothing changed`, async (t) => {
      const s = await server(t);
      const u = await signUp(s, kind);
      const before = await identityState(s, u.identityId);
      const flow = await newFlow(u);

      const res = await submit(u, flow, c.body(u));
      assert.equal(res.status, "form");
      if (res.status !== "form") return;
      assertSchema("settingsFlow", res.flow);
      assert.equal(res.flow.id, flow.id);
      assert.equal(res.flow.state, "show_form");
      c.check(res.flow);
      assert.deepEqual(await u.trpc.settings.get.query({ id: flow.id }), res.flow, "the flow is stored");
      if (kind === "api") assert.deepEqual(u.recorder.lastSetCookies, []);

      const twin = await rest.newFlow(s, u);
      const restRes = await rest.submit(s, u, twin, c.body(u));
      assert.equal(restRes.status, 400, JSON.stringify(restRes.body));
      assert.deepEqual(blanked(res.flow, [flow.id]), blanked(restRes.body, [twin.id]));
      await assertUnchanged(s, before);

      if (kind === "browser") {
        // The re-rendered flow's re-masked CSRF token still verifies.
        assert.notEqual(csrfTokenOf(res.flow), csrfTokenOf(flow));
        const retry = await submit(u, res.flow, METHODS[0]!.success(u));
        assert.equal(retry.status, "success");
      }
    });
  }
}

/** Bodies only an untyped caller can send: the service decodes them exactly as REST's JSON body. */
const MISTYPED: readonly { name: string; body: unknown }[] = [
  { name: "traits not an object", body: { method: "profile", traits: "nope" } },
  { name: "no traits", body: { method: "profile" } },
  { name: "an unknown trait", body: { method: "profile", traits: { email: "ada@example.com", extra: 1 } } },
  { name: "a numeric password", body: { method: "password", password: 12345678901 } },
  { name: "a password array", body: { method: "password", password: ["a", "b"] } },
];

for (const kind of KINDS) {
  test(`${kind}: mistyped bodies from untyped callers are the same forms as REST, nothing changed`, async (t) => {
    const s = await server(t);
    const u = await signUp(s, kind);
    const before = await identityState(s, u.identityId);
    for (const c of MISTYPED) {
      const flow = await newFlow(u);
      const res = await submit(u, flow, c.body as Body);
      assert.equal(res.status, "form", c.name);
      if (res.status !== "form") return;
      assertSchema("settingsFlow", res.flow);
      const twin = await rest.newFlow(s, u);
      const restRes = await rest.submit(s, u, twin, c.body as Body);
      assert.equal(restRes.status, 400, c.name);
      assert.deepEqual(blanked(res.flow, [flow.id]), blanked(restRes.body, [twin.id]), c.name);
      await assertUnchanged(s, before, c.name);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Privileged changes (§10): session older than privileged_session_max_age (1h)

for (const kind of KINDS) {
  test(`${kind}: an old session — password and e-mail changes need a refresh login, a name change does not`, async (t) => {
    const s = await server(t);
    const u = await signUp(s, kind);
    const before = await identityState(s, u.identityId);
    s.clock.advance(HOUR + MINUTE);
    const flow = await newFlow(u);
    const twin = await rest.newFlow(s, u);

    for (const m of METHODS) {
      const body = m.privileged(u);
      const err = await trpcError(submit(u, flow, body));
      assertError(err, "FORBIDDEN", 403, "session_refresh_required");
      assert.equal(err.data.kratos.error.reason, REFRESH_REASON);
      assert.equal(isRefreshRequired(err)?.redirectBrowserTo, refreshLoginUrl(s, flow.id));
      if (kind === "browser") {
        assert.ok(u.recorder.set("ory_kratos_continuity"), "the paused change gets a continuity cookie");
      } else {
        assert.deepEqual(u.recorder.lastSetCookies, [], "api flows: no cookies");
      }
      assertSameError(err, await rest.submit(s, u, twin, body), { trpc: [flow.id], rest: [twin.id] });
      await assertUnchanged(s, before, m.method);
    }
    assert.equal((await u.trpc.settings.get.query({ id: flow.id })).state, "show_form", "nothing persisted");

    // A non-protected trait changes with the old session.
    const ok = await submit(u, flow, { method: "profile", traits: { email: u.email, name: GRACE } });
    assert.equal(ok.status, "success");
    const now = await identityState(s, u.identityId);
    assert.deepEqual(now.traits, { email: u.email, name: GRACE });
    assert.equal(now.hash, before.hash);
  });
}

test("browser: after the refresh login (through tRPC) the paused password change is applied on return", async (t) => {
  const s = await server(t);
  const u = await signUp(s, "browser");
  const before = await identityState(s, u.identityId);
  s.clock.advance(HOUR + MINUTE);
  const flow = await newFlow(u);
  const refresh = isRefreshRequired(await trpcError(submit(u, flow, METHODS[1]!.privileged(u))));
  assert.ok(refresh);
  const returnTo = new URL(refresh.redirectBrowserTo).searchParams.get("return_to")!;
  assert.equal(returnTo, url(s, `/self-service/settings?flow=${flow.id}`));

  // The login UI's part, through tRPC: a refresh login flow with that return_to.
  const login = await u.trpc.login.create.mutate({ type: "browser", refresh: true, returnTo });
  assert.equal(login.refresh, true);
  assert.equal(login.return_to, returnTo);
  const relogged = await u.trpc.login.submit.mutate({
    flow: login.id,
    body: { method: "password", identifier: u.email, password: PASSWORD, csrf_token: csrfTokenOf(login) },
  });
  assert.equal(relogged.status, "success");
  if (relogged.status !== "success") return;
  assert.deepEqual(relogged.continue_with, [
    { action: "redirect_browser_to", redirect_browser_to: returnTo },
  ]);
  await assertUnchanged(s, before, "until the browser comes back");

  // The browser follows continue_with: the paused change is replayed and applied.
  const resumed = await u.jar!.fetch(returnTo);
  assert.equal(resumed.status, 303);
  assert.equal(resumed.headers.get("location"), `${url(s, "/ui/settings")}?flow=${flow.id}`);
  assert.ok(!u.jar!.cookies.has("ory_kratos_continuity"), "the continuity cookie is consumed");
  const done = await u.trpc.settings.get.query({ id: flow.id });
  assert.equal(done.state, "success");
  assert.deepEqual(globalMessageIds(done), [1050001]);
  await METHODS[1]!.applied(s, u, before);
});

// ---------------------------------------------------------------------------------------------
// CSRF (§9)

for (const m of METHODS) {
  test(`browser × ${m.method}: a missing, foreign or garbage csrf_token is FORBIDDEN security_csrf_violation, as REST`, async (t) => {
    const s = await server(t);
    const u = await signUp(s, "browser");
    const before = await identityState(s, u.identityId);
    // A well-formed token, masked from another browser's CSRF cookie.
    const eve = await signUp(s, "browser", "eve@example.com");
    const foreign = csrfTokenOf(await newFlow(eve))!;
    const flow = await newFlow(u);
    const twin = await rest.newFlow(s, u);

    const variants: { label: string; token: string | null; detail: RegExp }[] = [
      { label: "missing", token: null, detail: /CSRF token was not included in the HTTP request body/ },
      { label: "foreign", token: foreign, detail: /a CSRF token was sent but they do not match/ },
      { label: "garbage", token: "not-a-csrf-token", detail: /a CSRF token was sent but they do not match/ },
    ];
    for (const { label, token, detail } of variants) {
      const err = await trpcError(submit(u, flow, m.success(u), token));
      assertError(err, "FORBIDDEN", 403, "security_csrf_violation");
      assert.match(JSON.stringify(err.data.kratos.error.details), detail, label);
      assertSameError(err, await rest.submit(s, u, twin, m.success(u), token));
      await assertUnchanged(s, before, label);
    }

    // The flow's own token, but the browser lost its CSRF cookie (§9.2).
    const saved = new Map(u.jar!.cookies);
    for (const name of saved.keys()) if (name.startsWith("csrf_token_")) u.jar!.cookies.delete(name);
    const lost = await trpcError(submit(u, flow, m.success(u)));
    assertError(lost, "FORBIDDEN", 403, "security_csrf_violation");
    assert.match(JSON.stringify(lost.data.kratos.error.details), /did not include the anti-CSRF cookie/);
    for (const name of saved.keys()) if (name.startsWith("csrf_token_")) u.jar!.cookies.delete(name);
    assertSameError(lost, await rest.submit(s, u, twin, m.success(u)));
    await assertUnchanged(s, before, "no CSRF cookie");
    for (const [name, value] of saved) u.jar!.cookies.set(name, value);

    // With the flow's own token it goes through.
    assert.equal((await submit(u, flow, m.success(u))).status, "success");
  });
}

test("api flows: csrf_token is ignored, but a Cookie header is refused (400 form), as REST", async (t) => {
  const s = await server(t);
  const u = await signUp(s, "api");
  const eve = await signUp(s, "browser", "eve@example.com");
  const foreign = csrfTokenOf(await newFlow(eve))!;

  // A native app has no CSRF cookie: the body's token is not checked (§9.3).
  const flow = await newFlow(u);
  const ok = await submit(u, flow, METHODS[0]!.success(u), foreign);
  assert.equal(ok.status, "success");

  // An api flow submitted with cookies (a browser using the native flow) is refused.
  const before = await identityState(s, u.identityId);
  const jar = new CookieJar();
  jar.cookies.set("some_cookie", "1");
  const cookied = bind(s, { ...u, jar });
  const again = await newFlow(u);
  const body: Body = { method: "profile", traits: { email: u.email, name: { first: "Eve" } } };
  const res = await submit(cookied, again, body, null);
  assert.equal(res.status, "form");
  if (res.status !== "form") return;
  assert.equal(res.flow.ui.messages?.length, 1);
  assert.match(String(res.flow.ui.messages?.[0]?.text), /cookie/i);
  const twin = await rest.newFlow(s, u);
  const restRes = await rest.submit(s, cookied, twin, body, null);
  assert.equal(restRes.status, 400, JSON.stringify(restRes.body));
  assert.deepEqual(blanked(res.flow, [again.id]), blanked(restRes.body, [twin.id]));
  await assertUnchanged(s, before);
});

// ---------------------------------------------------------------------------------------------
// return_to (§11.3)

test("browser: an allowed returnTo is where the browser goes on success, a foreign one is refused — as REST", async (t) => {
  const s = await server(t, { selfservice: { allowed_return_urls: ["https://app.example/"] } });
  const u = await signUp(s, "browser");
  const before = await identityState(s, u.identityId);
  const returnTo = "https://app.example/done";
  const query = `?return_to=${encodeURIComponent(returnTo)}`;

  const evil = "https://evil.example/x";
  const refused = await trpcError(u.trpc.settings.create.mutate({ type: "browser", returnTo: evil }));
  assertError(refused, "BAD_REQUEST", 400, "self_service_flow_return_to_forbidden");
  const { fetchImpl } = rest.init(u);
  const restRefused = await restJson(
    s,
    `/self-service/settings/browser?return_to=${encodeURIComponent(evil)}`,
    {},
    fetchImpl,
  );
  assertSameError(refused, restRefused);
  await assertUnchanged(s, before);

  const flow = await u.trpc.settings.create.mutate({ type: "browser", returnTo });
  const twin = await rest.newFlow(s, u, query);
  assert.equal(flow.return_to, returnTo);
  assert.deepEqual(blanked(flow, [flow.id]), blanked(twin, [twin.id]), "request_url included");
  const ok = await submit(u, flow, METHODS[0]!.success(u));
  assert.equal(ok.status, "success");
  if (ok.status !== "success") return;
  assert.deepEqual(ok.continue_with, [{ action: "redirect_browser_to", redirect_browser_to: returnTo }]);
  const restOk = await rest.submit(s, u, twin, METHODS[0]!.success(u));
  const { status: _status, ...body } = ok;
  assert.deepEqual(blanked(body, [flow.id]), blanked(restOk.body, [twin.id]));
});

// ---------------------------------------------------------------------------------------------
// Expired flows (§12.1): PRECONDITION_FAILED (410) with use_flow_id

for (const kind of KINDS) {
  for (const m of METHODS) {
    test(`${m.method} × ${kind}: an expired flow — 410 with use_flow_id to a new flow with 4050001, as REST`, async (t) => {
      const s = await server(t);
      const u = await signUp(s, kind);
      const before = await identityState(s, u.identityId);
      const flow = await newFlow(u);
      const twin = await rest.newFlow(s, u);
      s.clock.advance(HOUR + 5 * MINUTE); // past the 1h lifespan

      const err = await trpcError(submit(u, flow, m.success(u)));
      assertError(err, "PRECONDITION_FAILED", 410, "self_service_flow_expired");
      assert.equal(
        err.data.kratos.error.reason,
        "The self-service flow expired 5.00 minutes ago, initialize a new one.",
      );
      assert.equal(err.data.kratos.expired_at, flow.expires_at);
      const useFlowId = expiredFlowOf(err)?.useFlowId;
      assert.ok(useFlowId);
      assert.notEqual(useFlowId, flow.id, "a NEW flow");
      await assertUnchanged(s, before);

      const replacement = await u.trpc.settings.get.query({ id: useFlowId });
      assertSchema("settingsFlow", replacement);
      assert.equal(replacement.type, kind);
      assert.equal(replacement.state, "show_form");
      assert.deepEqual(replacement.ui.messages, [
        {
          id: 4050001,
          text: "The settings flow expired 5.00 minutes ago, please try again.",
          type: "error",
          context: { expired_at: flow.expires_at, expired_at_unix: Date.parse(flow.expires_at) / 1000 },
        },
      ]);

      // REST: the same envelope, and a replacement equal to tRPC's.
      const restRes = await rest.submit(s, u, twin, m.success(u));
      const restUse = restRes.body.use_flow_id;
      assertSameError(err, restRes, { trpc: [flow.id, useFlowId], rest: [twin.id, restUse] });
      const restReplacement = await rest.get(s, u, String(restUse));
      assert.equal(restReplacement.status, 200);
      assert.deepEqual(blanked(replacement, [useFlowId]), blanked(restReplacement.body, [restUse]));

      // Fetching the expired flow itself: 410 through both doors.
      const gone = await trpcError(u.trpc.settings.get.query({ id: flow.id }));
      assertError(gone, "PRECONDITION_FAILED", 410);
      assertSameError(gone, await rest.get(s, u, twin.id as string), { trpc: [flow.id], rest: [twin.id] });
      await assertUnchanged(s, before);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Another identity's flow (§12.2)

for (const kind of KINDS) {
  test(`${kind}: another identity's flow — FORBIDDEN security_identity_mismatch on get and submit, as REST`, async (t) => {
    const s = await server(t);
    const ada = await signUp(s, kind, "ada@example.com");
    const eve = await signUp(s, kind, "eve@example.com");
    const adaBefore = await identityState(s, ada.identityId);
    const eveBefore = await identityState(s, eve.identityId);
    const flow = await newFlow(ada);
    const twin = await rest.newFlow(s, ada);
    // Eve sends a CSRF token valid for her own browser, so only the ownership check can refuse.
    const eveCsrf = kind === "browser" ? csrfTokenOf(await newFlow(eve)) : undefined;

    const got = await trpcError(eve.trpc.settings.get.query({ id: flow.id }));
    assertError(got, "FORBIDDEN", 403, "security_identity_mismatch");
    assert.equal(
      got.data.kratos.error.reason,
      "The request was made for another identity and has been blocked for security reasons.",
    );
    assertSameError(got, await rest.get(s, eve, String(twin.id)));

    for (const m of METHODS) {
      const err = await trpcError(submit(eve, flow, m.success(eve), eveCsrf));
      assertError(err, "FORBIDDEN", 403, "security_identity_mismatch");
      assert.match(String(err.data.kratos.error.reason), /^The request was initiated by someone else/);
      assertSameError(err, await rest.submit(s, eve, twin, m.success(eve), eveCsrf));
      await assertUnchanged(s, adaBefore, `ada after ${m.method}`);
      await assertUnchanged(s, eveBefore, `eve after ${m.method}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Disabled methods (§12.5)

for (const kind of KINDS) {
  for (const m of METHODS) {
    test(`${m.method} × ${kind}: the method disabled — NOT_FOUND "disabled by system administrator", as REST`, async (t) => {
      // Disabling password also disables registration with one: register on a default server, then
      // use a second server with the method disabled on the same database.
      const first = await server(t);
      const registered = await signUp(first, kind);
      const s = await startTestServer(m.disabled, { dsn: first.app.deps.config.raw.dsn });
      t.after(() => s.close());
      const u = bind(s, registered);
      const before = await identityState(s, u.identityId);

      const flow = await newFlow(u);
      assert.equal(
        flow.ui.nodes.some((n) => n.group === m.method),
        false,
        "a disabled method has no nodes",
      );
      const err = await trpcError(submit(u, flow, m.success(u)));
      assertError(err, "NOT_FOUND", 404);
      assert.equal(err.data.kratos.error.reason, DISABLED_REASON);
      const twin = await rest.newFlow(s, u);
      assertSameError(err, await rest.submit(s, u, twin, m.success(u)));
      await assertUnchanged(s, before);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Web hooks (§11.5, §11.6): they cannot tell which door a change came through

/** A local web hook target that records each request body and answers with `reply`. */
async function hookTarget(
  t: { after(fn: () => Promise<void> | void): void },
  reply: () => { status: number; body?: unknown } = () => ({ status: 200 }),
) {
  const calls: Json[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      calls.push(text ? (JSON.parse(text) as Json) : {});
      const answer = reply();
      const headers = answer.body === undefined ? {} : { "content-type": "application/json" };
      res.writeHead(answer.status, headers).end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  t.after(() => new Promise<void>((ok) => srv.close(() => ok())));
  const { port } = srv.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, calls };
}

for (const kind of KINDS) {
  test(`${kind}: before and after web hooks get the same flow, identity and request_url as through REST`, async (t) => {
    const target = await hookTarget(t);
    const hook = { hook: "web_hook" as const, config: { url: target.url, method: "POST" } };
    const s = await server(t, {
      selfservice: { flows: { settings: { before: { hooks: [hook] }, after: { hooks: [hook] } } } },
    });
    const u = await signUp(s, kind);
    const flow = await newFlow(u);
    const twin = await rest.newFlow(s, u);
    assert.equal((await submit(u, flow, METHODS[0]!.success(u))).status, "success");
    const restRes = await rest.submit(s, u, twin, METHODS[0]!.success(u));
    assert.equal(restRes.status, 200);

    assert.equal(target.calls.length, 4, "before + after, through each door");
    const [trpcBefore, restBefore, trpcAfter, restAfter] = target.calls as [Json, Json, Json, Json];
    // Only what the caller's transport decides differs (tRPC's mutations are JSON POSTs, REST's
    // creation a GET; the headers the client sends); the flow, identity, session and the REST URL
    // the change stands for are the same.
    const view = (call: Json, flowId: unknown, after: boolean) =>
      blanked(
        {
          flow: call.flow,
          identity: call.identity,
          session: call.session,
          request_url: call.request_url,
          ...(after ? { request_method: call.request_method } : {}),
          cookies: Object.keys((call.request_cookies as Json | undefined) ?? {}).sort(),
        },
        [flowId],
      );
    assert.deepEqual(view(trpcBefore, flow.id, false), view(restBefore, twin.id, false), "before hook");
    assert.deepEqual(view(trpcAfter, flow.id, true), view(restAfter, twin.id, true), "after hook");
    assert.equal(trpcAfter.request_url, url(s, `/self-service/settings?flow=${flow.id}`));
  });

  test(`${kind}: a parsing web hook's rejection is the same form as through REST, nothing changed`, async (t) => {
    const target = await hookTarget(t, () => ({
      status: 400,
      body: {
        messages: [
          {
            instance_ptr: "#/traits/name/first",
            messages: [{ id: 1234, text: "not that name", type: "error" }],
          },
        ],
      },
    }));
    const s = await server(t, {
      selfservice: {
        flows: {
          settings: {
            after: {
              profile: {
                hooks: [
                  {
                    hook: "web_hook",
                    config: { url: target.url, method: "POST", response: { parse: true } },
                  },
                ],
              },
            },
          },
        },
      },
    });
    const u = await signUp(s, kind);
    const before = await identityState(s, u.identityId);
    const flow = await newFlow(u);
    const res = await submit(u, flow, METHODS[0]!.success(u));
    assert.equal(res.status, "form");
    if (res.status !== "form") return;
    assert.deepEqual(
      nodeOf(res.flow, "traits.name.first").messages.map((m) => m.id),
      [1234],
    );
    await assertUnchanged(s, before);
    const twin = await rest.newFlow(s, u);
    const restRes = await rest.submit(s, u, twin, METHODS[0]!.success(u));
    assert.equal(restRes.status, 400);
    assert.deepEqual(blanked(res.flow, [flow.id]), blanked(restRes.body, [twin.id]));
    await assertUnchanged(s, before);
  });
}

// ---------------------------------------------------------------------------------------------
// No session (§12.6, §12.7) and unknown flows (§12.3)

test("no session: create, get and submit are UNAUTHORIZED session_inactive, as REST", async (t) => {
  const s = await server(t);
  const ada = await signUp(s, "browser");
  const before = await identityState(s, ada.identityId);
  const flow = await newFlow(ada);
  const anonymous: User = bind(s, { kind: "browser", identityId: "", email: "", jar: new CookieJar() });
  const native: User = bind(s, { kind: "api", identityId: "", email: "" });

  for (const who of [anonymous, native]) {
    const err = await trpcError(newFlow(who));
    assertError(err, "UNAUTHORIZED", 401, "session_inactive");
    const { fetchImpl } = rest.init(who);
    assertSameError(err, await restJson(s, `/self-service/settings/${who.kind}`, {}, fetchImpl));
  }

  const got = await trpcError(anonymous.trpc.settings.get.query({ id: flow.id }));
  assertError(got, "UNAUTHORIZED", 401, "session_inactive");
  assertSameError(got, await rest.get(s, anonymous, flow.id));

  for (const m of METHODS) {
    for (const who of [anonymous, native]) {
      const err = await trpcError(submit(who, flow, m.success(ada), csrfTokenOf(flow)));
      assertError(err, "UNAUTHORIZED", 401, "session_inactive");
      assertSameError(err, await rest.submit(s, who, flow, m.success(ada), csrfTokenOf(flow)));
      await assertUnchanged(s, before, `${who.kind} ${m.method}`);
    }
  }
});

for (const kind of KINDS) {
  test(`${kind}: a session revoked after the flow was created is no session, as REST`, async (t) => {
    const s = await server(t);
    const u = await signUp(s, kind);
    const before = await identityState(s, u.identityId);
    const flow = await newFlow(u);
    const twin = await rest.newFlow(s, u);
    await admin(s).identities.deleteSessions.mutate({ id: u.identityId });

    for (const m of METHODS) {
      const err = await trpcError(submit(u, flow, m.success(u)));
      assertError(err, "UNAUTHORIZED", 401, "session_inactive");
      assertSameError(err, await rest.submit(s, u, twin, m.success(u)));
      await assertUnchanged(s, before, m.method);
    }
    const got = await trpcError(u.trpc.settings.get.query({ id: flow.id }));
    assertError(got, "UNAUTHORIZED", 401, "session_inactive");
    assertSameError(got, await rest.get(s, u, String(twin.id)), { trpc: [flow.id], rest: [twin.id] });
  });
}

test("unknown and malformed flow ids: the same NOT_FOUND / BAD_REQUEST as REST", async (t) => {
  const s = await server(t);
  const u = await signUp(s, "api");
  const before = await identityState(s, u.identityId);
  const cases: [string, string, number][] = [
    [UNKNOWN, "NOT_FOUND", 404],
    ["not-a-uuid", "BAD_REQUEST", 400],
    ["", "BAD_REQUEST", 400],
  ];
  for (const [id, submitCode, submitStatus] of cases) {
    const got = await trpcError(u.trpc.settings.get.query({ id }));
    assertError(got, "NOT_FOUND", 404);
    assertSameError(got, await rest.get(s, u, id));

    const err = await trpcError(u.trpc.settings.submit.mutate({ flow: id, body: METHODS[0]!.success(u) }));
    assertError(err, submitCode, submitStatus);
    assertSameError(err, await rest.submit(s, u, { id }, METHODS[0]!.success(u)));
    await assertUnchanged(s, before, JSON.stringify(id));
  }
});
