import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { test } from "node:test";
import type { ConfigInput } from "../../server/config/schema.ts";
import {
  bodyOf,
  CookieJar,
  csrfOf,
  form,
  JSON_ACCEPT,
  jsonBody,
  PASSWORD,
  server,
  traits,
  url,
} from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import type { TestServer } from "../helpers/server.ts";

// Issue 7 §5: every login and registration hook the configuration accepts runs (contract §11.5,
// §16.1, §16.2), matching Kratos's selfservice/hook/*.go.

type Flows = NonNullable<NonNullable<ConfigInput["selfservice"]>["flows"]>;
type Hook = NonNullable<NonNullable<NonNullable<Flows["login"]>["before"]>["hooks"]>[number];
type WebHookConfig = Extract<Hook, { hook: "web_hook" }>["config"];
type Json = Record<string, unknown>;

function flows(f: Flows): ConfigInput {
  return { selfservice: { flows: f } };
}

function webHook(hookUrl: string, extra: Partial<WebHookConfig> = {}): Hook {
  return { hook: "web_hook", config: { url: hookUrl, method: "POST", ...extra } };
}

const REJECTION = {
  status: 400,
  body: {
    messages: [
      { instance_ptr: "#/traits/email", messages: [{ id: 4711, text: "not on the list", type: "error" }] },
    ],
  },
};
const REJECTION_LOGIN = {
  status: 400,
  body: {
    messages: [
      { instance_ptr: "#/identifier", messages: [{ id: 4711, text: "not on the list", type: "error" }] },
    ],
  },
};

interface Captured {
  headers: IncomingMessage["headers"];
  body: Json;
}

/** A local hook target on 127.0.0.1:0 that records requests and answers with `reply`. */
async function hookTarget(
  t: { after(fn: () => Promise<void> | void): void },
  reply: (req: Captured) => { status: number; body?: unknown } = () => ({ status: 200 }),
) {
  const calls: Captured[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const captured = { headers: req.headers, body: text ? (JSON.parse(text) as Json) : {} };
      calls.push(captured);
      const answer = reply(captured);
      if (answer.body === undefined) res.writeHead(answer.status).end();
      else
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  t.after(
    () =>
      new Promise<void>((ok) => {
        srv.closeAllConnections();
        srv.close(() => ok());
      }),
  );
  const { port } = srv.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, calls };
}

// ---------------------------------------------------------------------------------------------
// Drivers

/** A native registration with the password method; returns the status and JSON body. */
async function registerNative(s: TestServer, email = "ada@example.com") {
  const flow = await bodyOf(await fetch(url(s, "/self-service/registration/api")));
  const res = await fetch(
    url(s, `/self-service/registration?flow=${flow.id}`),
    jsonBody({ method: "password", password: PASSWORD, traits: traits(email) }),
  );
  return { status: res.status, body: await bodyOf(res) };
}

/** A browser registration with a plain form post; returns the response and the jar. */
async function registerBrowser(s: TestServer, email = "ada@example.com") {
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/registration/browser"), { headers: JSON_ACCEPT });
  const flow = await bodyOf(init);
  const res = await jar.fetch(
    url(s, `/self-service/registration?flow=${flow.id}`),
    form({
      method: "password",
      password: PASSWORD,
      "traits.email": email,
      "traits.name.first": "Ada",
      csrf_token: csrfOf(flow as never),
    }),
  );
  return { res, jar };
}

/** A native password login; returns the status and JSON body. */
async function loginNative(s: TestServer, identifier = "ada@example.com", password = PASSWORD) {
  const flow = await bodyOf(await fetch(url(s, "/self-service/login/api")));
  const res = await fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    jsonBody({ method: "password", identifier, password }),
  );
  return { status: res.status, body: await bodyOf(res) };
}

/** An identity with a password, created through the admin API (its address is not verified). */
async function createIdentity(s: TestServer, email = "ada@example.com"): Promise<string> {
  const res = await fetch(new URL("admin/identities", s.adminUrl), {
    method: "POST",
    headers: { "content-type": "application/json", ...JSON_ACCEPT },
    body: JSON.stringify({
      schema_id: "default",
      traits: traits(email),
      credentials: { password: { config: { password: PASSWORD } } },
    }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await bodyOf(res)).id as string;
}

async function markVerified(s: TestServer, identityId: string): Promise<void> {
  const res = await fetch(new URL(`admin/identities/${identityId}`, s.adminUrl), {
    method: "PATCH",
    headers: { "content-type": "application/json", ...JSON_ACCEPT },
    body: JSON.stringify([
      { op: "replace", path: "/verifiable_addresses/0/verified", value: true },
      { op: "replace", path: "/verifiable_addresses/0/status", value: "completed" },
    ]),
  });
  assert.equal(res.status, 200, await res.clone().text());
}

async function identityCount(s: TestServer): Promise<number> {
  const res = await fetch(new URL("admin/identities", s.adminUrl), { headers: JSON_ACCEPT });
  return ((await bodyOf(res)) as unknown as unknown[]).length;
}

async function activeSessions(s: TestServer, identityId: string) {
  return s.store.listSessions(identityId, { active: true });
}

function continueWithActions(body: Json): string[] {
  return ((body.continue_with as Json[] | undefined) ?? []).map((c) => String(c.action));
}

function messagesOf(flow: Json): number[] {
  const ui = flow.ui as { messages?: { id: number }[]; nodes: { messages: { id: number }[] }[] };
  return [...(ui.messages ?? []), ...ui.nodes.flatMap((n) => n.messages)].map((m) => m.id);
}

// ---------------------------------------------------------------------------------------------
// Registration: session

test("registration `session` hook: the native answer carries a session token and set_ory_session_token", async (t) => {
  const s = await server(
    t,
    flows({ registration: { after: { password: { hooks: [{ hook: "session" }] } } } }),
  );
  const { status, body } = await registerNative(s);
  assert.equal(status, 200);
  assertSchema("successfulNativeRegistration", body);
  assert.match(String(body.session_token), /^ory_st_/);
  const set = (body.continue_with as Json[]).find((c) => c.action === "set_ory_session_token");
  assert.equal(set?.ory_session_token, body.session_token);
  assert.equal((await activeSessions(s, (body.identity as Json).id as string)).length, 1);
});

test("registration without the `session` hook: the identity is created, no session is issued (native)", async (t) => {
  const s = await server(t, flows({ registration: { after: { password: { hooks: [] } } } }));
  const { status, body } = await registerNative(s);
  assert.equal(status, 200);
  assertSchema("successfulNativeRegistration", body);
  assert.equal(body.session_token, undefined);
  assert.equal(body.session, undefined);
  assert.ok(!continueWithActions(body).includes("set_ory_session_token"));
  assert.equal((await activeSessions(s, (body.identity as Json).id as string)).length, 0);
});

test("registration `session` hook in a browser: Set-Cookie with the session; without it, none", async (t) => {
  const withHook = await server(
    t,
    flows({ registration: { after: { password: { hooks: [{ hook: "session" }] } } } }),
  );
  const signedIn = await registerBrowser(withHook);
  assert.equal(signedIn.res.status, 303, await signedIn.res.clone().text());
  assert.ok(signedIn.res.headers.getSetCookie().some((c) => c.startsWith("ory_kratos_session=")));
  assert.equal((await signedIn.jar.fetch(url(withHook, "/sessions/whoami"))).status, 200);

  const without = await server(t, flows({ registration: { after: { password: { hooks: [] } } } }));
  const anonymous = await registerBrowser(without);
  assert.equal(anonymous.res.status, 303, await anonymous.res.clone().text());
  assert.ok(!anonymous.res.headers.getSetCookie().some((c) => c.startsWith("ory_kratos_session=")));
  assert.equal((await anonymous.jar.fetch(url(without, "/sessions/whoami"))).status, 401);
  assert.equal(await identityCount(without), 1, "the identity was created all the same");
});

// ---------------------------------------------------------------------------------------------
// Registration: web hooks

test("registration `web_hook` runs after the identity is saved and receives the flow and the identity", async (t) => {
  const target = await hookTarget(t);
  const s = await server(
    t,
    // Kratos's documented order: `session` last (its native answer ends the hook chain there).
    flows({ registration: { after: { password: { hooks: [webHook(target.url), { hook: "session" }] } } } }),
  );
  const { status, body } = await registerNative(s);
  assert.equal(status, 200);
  assert.equal(target.calls.length, 1);
  const sent = target.calls[0]!.body;
  assert.equal((sent.flow as Json).type, "api");
  const identity = sent.identity as Json;
  assert.equal(identity.id, (body.identity as Json).id, "the saved identity, with its id");
  assert.equal((identity.traits as Json).email, "ada@example.com");
});

test("registration `web_hook` with response.parse rejecting: 400 with its message, nothing created, no session", async (t) => {
  const target = await hookTarget(t, () => REJECTION);
  const s = await server(
    t,
    flows({
      registration: {
        after: {
          password: { hooks: [{ hook: "session" }, webHook(target.url, { response: { parse: true } })] },
        },
      },
    }),
  );
  const { status, body } = await registerNative(s);
  assert.equal(status, 400, JSON.stringify(body));
  assertSchema("registrationFlow", body);
  assert.ok(messagesOf(body).includes(4711), "the hook's message is in the flow");
  assert.equal(target.calls.length, 1);
  assert.equal(await identityCount(s), 0, "no identity was created");
  assert.equal(body.session_token, undefined);
});

// ---------------------------------------------------------------------------------------------
// Login: web hooks

test("login `web_hook` receives the flow, the identity and the session that was issued", async (t) => {
  const target = await hookTarget(t);
  const s = await server(t, flows({ login: { after: { password: { hooks: [webHook(target.url)] } } } }));
  const identityId = await createIdentity(s);
  const { status, body } = await loginNative(s);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(target.calls.length, 1);
  const sent = target.calls[0]!.body;
  assert.equal((sent.flow as Json).type, "api");
  assert.equal((sent.identity as Json).id, identityId);
  assert.equal((sent.session as Json | undefined)?.id, (body.session as Json).id);
});

test("login `web_hook` with response.parse rejecting: 400 with its message and no session", async (t) => {
  const target = await hookTarget(t, () => REJECTION_LOGIN);
  const s = await server(
    t,
    flows({
      login: { after: { password: { hooks: [webHook(target.url, { response: { parse: true } })] } } },
    }),
  );
  const identityId = await createIdentity(s);
  const { status, body } = await loginNative(s);
  assert.equal(status, 400, JSON.stringify(body));
  assertSchema("loginFlow", body);
  assert.ok(messagesOf(body).includes(4711), "the hook's message is in the flow");
  assert.equal(body.session_token, undefined);
  assert.equal((await activeSessions(s, identityId)).length, 0, "no session was issued");
});

test("login `web_hook` whose target fails: the sign-in is refused and no session is left behind", async (t) => {
  // Kratos runs every login after-hook before it stores the session (login/hook.go PostLoginHook),
  // so a web hook that fails (without response.ignore) leaves the identity signed out.
  const target = await hookTarget(t, () => ({ status: 500 }));
  const s = await server(t, flows({ login: { after: { password: { hooks: [webHook(target.url)] } } } }));
  const identityId = await createIdentity(s);
  const { status, body } = await loginNative(s);
  assert.equal(status, 502, JSON.stringify(body));
  assert.equal(body.session_token, undefined);
  assert.equal((await activeSessions(s, identityId)).length, 0, "no session was issued");
});

// ---------------------------------------------------------------------------------------------
// Login: revoke_active_sessions, require_verified_address

test("login `revoke_active_sessions`: signing in ends the identity's other sessions", async (t) => {
  const s = await server(
    t,
    flows({ login: { after: { password: { hooks: [{ hook: "revoke_active_sessions" }] } } } }),
  );
  const identityId = await createIdentity(s);
  const first = await loginNative(s);
  const second = await loginNative(s);
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  const whoami = (token: unknown) =>
    fetch(url(s, "/sessions/whoami"), { headers: { "x-session-token": String(token) } });
  assert.equal((await whoami(first.body.session_token)).status, 401, "the earlier session was revoked");
  assert.equal((await whoami(second.body.session_token)).status, 200, "the new session is kept");
  assert.deepEqual(
    (await activeSessions(s, identityId)).map((x) => x.id),
    [(second.body.session as Json).id],
  );
});

test("login without `revoke_active_sessions`: earlier sessions survive a sign-in", async (t) => {
  const s = await server(t, flows({ login: { after: { password: { hooks: [] } } } }));
  const identityId = await createIdentity(s);
  await loginNative(s);
  await loginNative(s);
  assert.equal((await activeSessions(s, identityId)).length, 2);
});

test("login `require_verified_address`: unverified gets 4000010 and no session; verified signs in", async (t) => {
  const s = await server(
    t,
    flows({ login: { after: { password: { hooks: [{ hook: "require_verified_address" }] } } } }),
  );
  const identityId = await createIdentity(s);
  const refused = await loginNative(s);
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assertSchema("loginFlow", refused.body);
  assert.ok(messagesOf(refused.body).includes(4000010));
  assert.equal((await activeSessions(s, identityId)).length, 0, "no session was issued");

  await markVerified(s, identityId);
  const allowed = await loginNative(s);
  assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  assert.equal((await activeSessions(s, identityId)).length, 1);
});

test("login `require_verified_address` for an identity with no address to verify: 500 misconfiguration", async (t) => {
  // Kratos (hook/require_verified_address.go) refuses with a misconfiguration, not with 4000010:
  // the person could never verify anything.
  const schema = {
    type: "object",
    properties: {
      traits: {
        type: "object",
        properties: {
          username: {
            type: "string",
            "ory.sh/kratos": { credentials: { password: { identifier: true } } },
          },
        },
        required: ["username"],
      },
    },
  };
  const s = await server(t, {
    identity: {
      default_schema_id: "plain",
      schemas: [{ id: "plain", url: `base64://${Buffer.from(JSON.stringify(schema)).toString("base64")}` }],
    },
    ...flows({ login: { after: { password: { hooks: [{ hook: "require_verified_address" }] } } } }),
  });
  const created = await fetch(new URL("admin/identities", s.adminUrl), {
    method: "POST",
    headers: { "content-type": "application/json", ...JSON_ACCEPT },
    body: JSON.stringify({
      schema_id: "plain",
      traits: { username: "ada" },
      credentials: { password: { config: { password: PASSWORD } } },
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const identityId = (await bodyOf(created)).id as string;
  const { status, body } = await loginNative(s, "ada");
  assert.equal(status, 500, JSON.stringify(body));
  assert.match(String((body.error as Json).reason), /misconfiguration prevents login/);
  assert.equal((await activeSessions(s, identityId)).length, 0, "no session was issued");
});

// ---------------------------------------------------------------------------------------------
// Registration: show_verification_ui

test("registration `show_verification_ui` is accepted and registration succeeds", async (t) => {
  const s = await server(
    t,
    flows({
      registration: {
        after: { password: { hooks: [{ hook: "session" }, { hook: "show_verification_ui" }] } },
      },
    }),
  );
  const { status, body } = await registerNative(s);
  assert.equal(status, 200, JSON.stringify(body));
  assertSchema("successfulNativeRegistration", body);
  // Kratos's hook points at the verification flow the verifier started; Tessera has no verification
  // flows yet, so there is nothing to show and the hook adds no continue_with item.
  assert.ok(!continueWithActions(body).includes("show_verification_ui"));
  assert.ok(continueWithActions(body).includes("set_ory_session_token"));
});

// ---------------------------------------------------------------------------------------------
// before hooks

test("login `before` web hook is called with the flow being created", async (t) => {
  const target = await hookTarget(t);
  const s = await server(t, flows({ login: { before: { hooks: [webHook(target.url)] } } }));
  const res = await fetch(url(s, "/self-service/login/api"));
  assert.equal(res.status, 200);
  const flow = await bodyOf(res);
  assert.equal(target.calls.length, 1);
  assert.equal((target.calls[0]!.body.flow as Json).id, flow.id);
});

test("login `before` web hook that fails refuses the flow creation", async (t) => {
  const target = await hookTarget(t, () => ({ status: 500 }));
  const s = await server(t, flows({ login: { before: { hooks: [webHook(target.url)] } } }));
  const res = await fetch(url(s, "/self-service/login/api"));
  assert.equal(res.status, 502, await res.clone().text());
  assert.equal(((await bodyOf(res)).error as Json).code, 502);
  assert.equal(target.calls.length, 1);
});

test("registration `before` web hook is called with the flow being created", async (t) => {
  const target = await hookTarget(t);
  const s = await server(t, flows({ registration: { before: { hooks: [webHook(target.url)] } } }));
  const res = await fetch(url(s, "/self-service/registration/api"));
  assert.equal(res.status, 200);
  const flow = await bodyOf(res);
  assert.equal(target.calls.length, 1);
  assert.equal((target.calls[0]!.body.flow as Json).id, flow.id);
});

test("registration `before` web hook that fails refuses the flow creation", async (t) => {
  const target = await hookTarget(t, () => ({ status: 500 }));
  const s = await server(t, flows({ registration: { before: { hooks: [webHook(target.url)] } } }));
  const res = await fetch(url(s, "/self-service/registration/api"));
  assert.equal(res.status, 502, await res.clone().text());
  assert.equal(target.calls.length, 1);
});
