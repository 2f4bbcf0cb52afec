import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { test } from "node:test";
import type { ConfigInput } from "../../server/config/schema.ts";
import {
  apiFlow,
  assertUnchanged,
  base64Schema,
  bodyOf,
  browserFlow,
  browserLogin,
  canLogin,
  csrfOf,
  errorOf,
  flowOf,
  type Json,
  jsonBody,
  NEW_PASSWORD,
  nodeOf,
  PASSWORD,
  postWithToken,
  registerApi,
  registerBrowser,
  server,
  snapshot,
  spaFlow,
  storedErrorOf,
  storedTraits,
  submitApi,
  submitForm,
  submitUrl,
  url,
} from "./helpers.ts";

// Contract §11.1, §11.5, §11.6: settings after-hooks.

type SettingsConfig = NonNullable<NonNullable<NonNullable<ConfigInput["selfservice"]>["flows"]>["settings"]>;
type Hook = NonNullable<NonNullable<SettingsConfig["before"]>["hooks"]>[number];
type WebHookConfig = Extract<Hook, { hook: "web_hook" }>["config"];

/** Server config with `settings` as `selfservice.flows.settings`. */
function settingsConfig(settings: SettingsConfig): ConfigInput {
  return { selfservice: { flows: { settings } } };
}

/** Server config with `hooks` as the settings after-hooks of `method`. */
function afterHooks(method: "profile" | "password", hooks: Hook[]): ConfigInput {
  return settingsConfig({ after: { [method]: { hooks } } });
}

/** Server config with `hooks` as the settings before-hooks. */
function beforeHooks(hooks: Hook[]): ConfigInput {
  return settingsConfig({ before: { hooks } });
}

/** A POST web_hook to `hookUrl`; `extra` adds config keys (response handling, can_interrupt). */
function webHook(hookUrl: string, extra: Partial<WebHookConfig> = {}): Hook {
  return { hook: "web_hook", config: { url: hookUrl, method: "POST", ...extra } };
}

/** A web_hook whose answer is parsed (it may reject the change or rewrite the identity). */
function parsingWebHook(hookUrl: string): Hook {
  return webHook(hookUrl, { response: { parse: true } });
}

interface Captured {
  method: string;
  headers: IncomingMessage["headers"];
  body: Json;
}

/** A local hook target on 127.0.0.1:0 that records requests and answers with `reply`. */
async function hookTarget(
  t: { after(fn: () => Promise<void> | void): void },
  reply: (req: Captured) => { status: number; body?: unknown },
) {
  const calls: Captured[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const captured = { method: req.method ?? "", headers: req.headers, body: text ? JSON.parse(text) : {} };
      calls.push(captured);
      const answer = reply(captured);
      if (answer.body === undefined) {
        res.writeHead(answer.status).end();
      } else {
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
      }
    });
  });
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  t.after(() => new Promise<void>((ok) => srv.close(() => ok())));
  const { port } = srv.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, calls };
}

test("revoke_active_sessions after a password change revokes the other sessions, not the current one", async (t) => {
  const s = await server(t, afterHooks("password", [{ hook: "revoke_active_sessions" }]));
  const user = await registerBrowser(s);
  const phone = await browserLogin(s, user.email); // a second browser
  const tablet = await registerApiLogin(s, user.email);
  const flow = await spaFlow(s, user.jar);
  const res = await user.jar.fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "password", password: NEW_PASSWORD, csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await flowOf(res)).state, "success");

  assert.equal((await user.jar.fetch(url(s, "/sessions/whoami"))).status, 200, "current session kept");
  assert.equal((await phone.fetch(url(s, "/sessions/whoami"))).status, 401, "other browser signed out");
  const token = await fetch(url(s, "/sessions/whoami"), { headers: { "x-session-token": tablet } });
  assert.equal(token.status, 401, "other token revoked");
  assert.equal(await canLogin(s, user.email, NEW_PASSWORD), true);
});

test("without revoke_active_sessions other sessions survive a password change", async (t) => {
  const s = await server(t);
  const user = await registerApi(s);
  const other = await registerApiLogin(s, user.email);
  const res = await submitApi(s, user.token, { method: "password", password: NEW_PASSWORD });
  assert.equal(res.status, 200);
  const whoami = await fetch(url(s, "/sessions/whoami"), { headers: { "x-session-token": other } });
  assert.equal(whoami.status, 200);
});

test("a parsing web_hook answering 400 with messages rejects the profile change", async (t) => {
  const target = await hookTarget(t, () => ({
    status: 400,
    body: {
      messages: [
        { instance_ptr: "#/traits/email", messages: [{ id: 1234, text: "blocked", type: "error" }] },
      ],
    },
  }));
  const s = await server(t, afterHooks("profile", [parsingWebHook(target.url)]));
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: "Blocked" } },
  });
  assert.equal(res.status, 400, await res.clone().text());
  const rendered = await flowOf(res);
  assert.equal(rendered.state, "show_form");
  const email = nodeOf(rendered, "traits.email");
  assert.deepEqual(email.messages, [{ id: 1234, text: "blocked", type: "error" }]);
  assert.equal(nodeOf(rendered, "traits.name.first").attributes.value, "Blocked", "submitted values echoed");
  await assertUnchanged(s, before);

  // The hook ran before persisting and saw the proposed identity.
  assert.equal(target.calls.length, 1);
  const call = target.calls[0]!;
  assert.equal(call.method, "POST");
  assert.equal(call.headers["content-type"], "application/json");
  assert.deepEqual((call.body.identity as Json).traits, {
    email: "ada@example.com",
    name: { first: "Blocked" },
  });
  assert.equal((call.body.flow as Json).id, flow.id);
  assert.equal(call.body.request_url, submitUrl(s, flow.id));
});

test("a parsing web_hook may rewrite the traits before they are saved", async (t) => {
  const target = await hookTarget(t, (req) => ({
    status: 200,
    body: {
      identity: {
        traits: { ...((req.body.identity as Json).traits as Json), name: { first: "Rewritten" } },
      },
    },
  }));
  const s = await server(t, afterHooks("profile", [parsingWebHook(target.url)]));
  const user = await registerApi(s);
  const res = await submitApi(s, user.token, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: "Typed" } },
  });
  assert.equal(res.status, 200, await res.clone().text());
  const done = await flowOf(res);
  assert.deepEqual((done.identity as Json).traits, {
    email: "ada@example.com",
    name: { first: "Rewritten" },
  });
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "ada@example.com",
    name: { first: "Rewritten" },
  });
});

test("a failing pre-persist web_hook (500 without messages) is a 502 and leaves the identity whole", async (t) => {
  const target = await hookTarget(t, () => ({ status: 500, body: { oops: true } }));
  const s = await server(t, afterHooks("password", [parsingWebHook(target.url)]));
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const res = await submitApi(s, user.token, { method: "password", password: NEW_PASSWORD });
  assert.equal(res.status, 502, await res.clone().text());
  const error = await errorOf(res);
  assert.equal(error.reason, "A third-party upstream service responded improperly. Please try again later.");
  assert.equal(error.message, "webhook failed with status code 500");
  await assertUnchanged(s, before);
  assert.equal(await canLogin(s, user.email, PASSWORD), true);
});

test("a post-persist web_hook receives the updated identity (method list, then the global list)", async (t) => {
  const target = await hookTarget(t, () => ({ status: 204 }));
  const hook = webHook(target.url);
  const s = await server(t, settingsConfig({ after: { profile: { hooks: [hook] }, hooks: [hook] } }));
  const user = await registerApi(s);
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: "Grace" } },
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(target.calls.length, 1, "the method's list replaces the global one (not merged)");
  const body = target.calls[0]!.body;
  assert.deepEqual((body.identity as Json).traits, { email: "ada@example.com", name: { first: "Grace" } });
  assert.equal((body.flow as Json).state, "success", "post-persist hooks see the finished flow");
  assert.equal(((body.session as Json).identity as Json).id, user.identityId);

  // The password method has no list of its own: the global after.hooks apply.
  const pw = await postWithToken(s, user.token, flow.id, { method: "password", password: NEW_PASSWORD });
  assert.equal(pw.status, 200);
  assert.equal(target.calls.length, 2);
  assert.equal(((target.calls[1]!.body.identity as Json).traits as Json).email, "ada@example.com");
});

test("a before hook runs when the flow is created and can refuse it", async (t) => {
  let refuse = false;
  const target = await hookTarget(t, () => (refuse ? { status: 500 } : { status: 200, body: {} }));
  const s = await server(t, beforeHooks([webHook(target.url)]));
  const user = await registerApi(s);
  const created = await apiFlow(s, user.token);
  assert.equal(target.calls.length, 1);
  assert.equal((target.calls[0]!.body.flow as Json).type, "api");
  assert.equal((target.calls[0]!.body.flow as Json).id, created.id, "the hook sees the flow being created");
  assert.equal(((target.calls[0]!.body.session as Json).identity as Json).id, user.identityId);
  refuse = true;
  const res = await fetch(url(s, "/self-service/settings/api"), {
    headers: { "x-session-token": user.token },
  });
  assert.equal(res.status, 502);
  await errorOf(res);
});

/** Signs in through the native login flow; returns the new session token. */
async function registerApiLogin(s: Parameters<typeof url>[0], email: string): Promise<string> {
  const flow = await bodyOf(await fetch(url(s, "/self-service/login/api")));
  const res = await fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    jsonBody({ method: "password", identifier: email, password: PASSWORD }),
  );
  assert.equal(res.status, 200);
  return String((await bodyOf(res)).session_token);
}

test("a post-persist web_hook failure is reported after the change was saved (§20.13)", async (t) => {
  const target = await hookTarget(t, () => ({ status: 500, body: { error: "down" } }));
  const s = await server(t, afterHooks("profile", [webHook(target.url)]));
  const user = await registerApi(s);
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: "Saved" } },
  });
  assert.equal(res.status, 502, await res.clone().text());
  assert.equal((await errorOf(res)).message, "webhook failed with status code 500");
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "ada@example.com",
    name: { first: "Saved" },
  });
  const fetched = await fetch(url(s, `/self-service/settings/flows?id=${flow.id}`), {
    headers: { "x-session-token": user.token },
  });
  assert.equal((await flowOf(fetched)).state, "success");
});

test("response.ignore: the web_hook is fired and its failure does not matter", async (t) => {
  const target = await hookTarget(t, () => ({ status: 500 }));
  const s = await server(t, afterHooks("password", [webHook(target.url, { response: { ignore: true } })]));
  const user = await registerApi(s);
  const res = await submitApi(s, user.token, { method: "password", password: NEW_PASSWORD });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await canLogin(s, user.email, NEW_PASSWORD), true);
  // The call was dispatched without waiting for it; it arrives eventually (network, not the clock).
  // Its 500 is retried twice, as Kratos's resilient client does (the test clock skips the back-off).
  for (let i = 0; i < 300 && target.calls.length < 3; i++) await new Promise((ok) => setTimeout(ok, 10));
  assert.equal(target.calls.length, 3);
});

test("can_interrupt web_hook (deprecated) runs before persisting and can reject a password change", async (t) => {
  const target = await hookTarget(t, () => ({
    status: 403,
    body: {
      messages: [{ instance_ptr: "#/password", messages: [{ id: 4711, text: "nope", type: "error" }] }],
    },
  }));
  const s = await server(t, afterHooks("password", [webHook(target.url, { can_interrupt: true })]));
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const res = await submitApi(s, user.token, { method: "password", password: NEW_PASSWORD });
  assert.equal(res.status, 400, await res.clone().text());
  const rendered = await flowOf(res);
  assert.deepEqual(nodeOf(rendered, "password").messages, [{ id: 4711, text: "nope", type: "error" }]);
  await assertUnchanged(s, before);
});

test("the submission's transient_payload reaches the after hooks (pre and post persist)", async (t) => {
  const target = await hookTarget(t, () => ({ status: 200, body: {} }));
  const s = await server(t, afterHooks("profile", [parsingWebHook(target.url), webHook(target.url)]));
  const user = await registerApi(s);
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com" },
    transient_payload: { consent: true, n: 1 },
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(target.calls.length, 2);
  for (const call of target.calls) {
    assert.deepEqual((call.body.flow as Json).transient_payload, { consent: true, n: 1 });
  }
  // Never stored: the flow fetched afterwards has none.
  const fetched = await fetch(url(s, `/self-service/settings/flows?id=${flow.id}`), {
    headers: { "x-session-token": user.token },
  });
  assert.equal("transient_payload" in (await flowOf(fetched)), false);
});

test("a hook failure on an api flow is JSON even for a form-encoded submission; browsers get the error UI", async (t) => {
  const target = await hookTarget(t, () => ({ status: 500 }));
  const s = await server(t, afterHooks("profile", [parsingWebHook(target.url)]));
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  // Api flows answer JSON whatever the request looks like (contract §0.1).
  const res = await fetch(submitUrl(s, flow.id), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-session-token": user.token },
    body: new URLSearchParams({ method: "profile", "traits.email": "ada@example.com" }).toString(),
    redirect: "manual",
  });
  assert.equal(res.status, 502, `${res.status} ${res.headers.get("location")}`);
  assert.equal((await errorOf(res)).message, "webhook failed with status code 500");
  await assertUnchanged(s, before);

  const browser = await registerBrowser(s, "eve@example.com");
  const browserBefore = await snapshot(s, browser.identityId);
  const bflow = await browserFlow(s, browser.jar);
  const html = await submitForm(s, browser.jar, bflow, {
    method: "profile",
    "traits.email": "eve@example.com",
  });
  const stored = await storedErrorOf(s, html);
  assert.equal(stored.code, 502);
  await assertUnchanged(s, browserBefore);
});

test("a parsing web_hook may set an address's verification state and switch the schema", async (t) => {
  let answer: Json = {};
  const target = await hookTarget(t, () => ({ status: 200, body: answer }));
  const second = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      traits: {
        type: "object",
        properties: {
          email: {
            type: "string",
            format: "email",
            "ory.sh/kratos": {
              credentials: { password: { identifier: true } },
              verification: { via: "email" },
            },
          },
          tier: { type: "string" },
        },
        required: ["email"],
      },
    },
  };
  const s = await server(t, {
    identity: {
      schemas: [
        { id: "default", url: "file://./schemas/default.identity.schema.json" },
        { id: "second", url: base64Schema(second) },
      ],
    },
    ...afterHooks("profile", [parsingWebHook(target.url)]),
  });
  const user = await registerApi(s);
  const submit = () => submitApi(s, user.token, { method: "profile", traits: { email: "ada@example.com" } });

  answer = {
    identity: {
      verifiable_addresses: [
        {
          value: "ada@example.com",
          via: "email",
          verified: true,
          status: "completed",
          verified_at: "2026-01-15T12:00:00Z",
        },
      ],
    },
  };
  const verified = await submit();
  assert.equal(verified.status, 200, await verified.clone().text());
  const address = (((await flowOf(verified)).identity as Json).verifiable_addresses as Json[])[0]!;
  assert.equal(address.verified, true);
  assert.equal(address.status, "completed");
  const stored = (await s.store.getIdentity(user.identityId))!;
  assert.equal(stored.verifiableAddresses[0]!.verified, true, "persisted");

  answer = { identity: { schema_id: "second", traits: { email: "ada@example.com", tier: "gold" } } };
  const switched = await submit();
  assert.equal(switched.status, 200, await switched.clone().text());
  const identity = (await flowOf(switched)).identity as Json;
  assert.equal(identity.schema_id, "second");
  assert.deepEqual(identity.traits, { email: "ada@example.com", tier: "gold" });

  const before = await snapshot(s, user.identityId);
  answer = { identity: { schema_id: "nope" } };
  const unknown = await submit();
  assert.equal(unknown.status, 400, await unknown.clone().text());
  assert.deepEqual(
    ((await flowOf(unknown)).ui as { messages: { id: number }[] }).messages.map((m) => m.id),
    [4000001],
  );
  await assertUnchanged(s, before);
});
