import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import {
  bodyOf,
  CookieJar,
  csrfOf,
  form,
  frontend,
  JSON_ACCEPT,
  jsonBody,
  PASSWORD,
  server,
  traits,
  url,
} from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";

test("native registration through the SDK returns a session token and set_ory_session_token", async (t) => {
  const s = await server(t);
  const api = frontend(s);
  const flow = await api.createNativeRegistrationFlow();
  assert.equal(flow.type, "api");
  assertSchema("registrationFlow", JSON.parse(JSON.stringify(flow)));

  const raw = await api.updateRegistrationFlowRaw({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", password: PASSWORD, traits: traits() },
  });
  assert.equal(raw.raw.status, 200);
  assert.equal(raw.raw.headers.getSetCookie().length, 0, "api flows set no cookies");
  const body = await bodyOf(raw.raw.clone());
  assertSchema("successfulNativeRegistration", body);
  const res = await raw.value();
  assert.match(res.session_token ?? "", /^ory_st_[A-Za-z0-9]{32}$/);
  assert.equal(res.identity.traits.email, "ada@example.com");
  assert.equal(res.session?.identity?.id, res.identity.id);
  const set = res.continue_with?.find((c) => c.action === "set_ory_session_token");
  assert.ok(set, "continue_with has set_ory_session_token");
  assert.equal((set as { ory_session_token: string }).ory_session_token, res.session_token);

  // The token works.
  const session = await api.toSession({ xSessionToken: res.session_token! });
  assert.equal(session.identity?.id, res.identity.id);
});

test("the registration flow is fetched by id (api flows need no cookie)", async (t) => {
  const s = await server(t);
  const api = frontend(s);
  const created = await api.createNativeRegistrationFlow();
  const fetched = await api.getRegistrationFlow({ id: created.id });
  assert.equal(fetched.id, created.id);
  const res = await fetch(url(s, `/self-service/registration/flows?id=${created.id}`));
  assert.equal(res.status, 200);
  assertSchema("registrationFlow", await bodyOf(res));
});

test("browser registration with a form post: 303 to the default return URL and a session cookie", async (t) => {
  const s = await server(t, { selfservice: { default_browser_return_url: "https://app.example/welcome" } });
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/registration/browser"));
  assert.equal(init.status, 303);
  const location = new URL(init.headers.get("location")!);
  assert.equal(`${location.origin}${location.pathname}`, url(s, "/ui/registration"));
  const flowId = location.searchParams.get("flow")!;
  assert.ok(flowId);
  // The CSRF cookie (contract §9.1): named after the public base URL, 32 random bytes in base64.
  const csrfName = `csrf_token_${createHash("sha256").update(s.publicUrl).digest("hex")}`;
  const csrfCookie = init.headers.getSetCookie().find((c) => c.startsWith(`${csrfName}=`));
  assert.ok(csrfCookie, "CSRF cookie issued");
  assert.match(csrfCookie, /^csrf_token_[0-9a-f]{64}=[A-Za-z0-9+/]{43}=; /);
  assert.match(csrfCookie, /; Path=\/;.*Max-Age=31536000; HttpOnly/);
  assert.match(csrfCookie, /SameSite=Lax/);
  assert.doesNotMatch(csrfCookie, /Secure/, "plain-http base URL: no Secure attribute");

  const flowRes = await jar.fetch(url(s, `/self-service/registration/flows?id=${flowId}`));
  assert.equal(flowRes.status, 200);
  const flow = await bodyOf(flowRes);
  assertSchema("registrationFlow", flow);
  assert.equal(flow.type, "browser");

  const res = await jar.fetch(
    url(s, `/self-service/registration?flow=${flowId}`),
    form({
      method: "password",
      password: PASSWORD,
      "traits.email": "ada@example.com",
      "traits.name.first": "Ada",
      "traits.name.last": "Lovelace",
      csrf_token: csrfOf(flow as never),
    }),
  );
  assert.equal(res.status, 303, await res.clone().text());
  assert.equal(res.headers.get("location"), "https://app.example/welcome");
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("ory_kratos_session="));
  assert.ok(cookie, "session cookie set");
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /Path=\//);

  const whoami = await jar.fetch(url(s, "/sessions/whoami"));
  assert.equal(whoami.status, 200);
  const session = await bodyOf(whoami);
  assertSchema("session", session);
  assert.equal((session.identity as { traits: { email: string } }).traits.email, "ada@example.com");
});

test("SPA registration (JSON): 200 with identity, session and continue_with redirect_browser_to", async (t) => {
  const s = await server(t, { selfservice: { default_browser_return_url: "https://app.example/home" } });
  const jar = new CookieJar();
  const api = frontend(s, jar);
  const flow = await api.createBrowserRegistrationFlow({});
  assertSchema("registrationFlow", JSON.parse(JSON.stringify(flow)));
  const raw = await api.updateRegistrationFlowRaw({
    flow: flow.id,
    updateRegistrationFlowBody: {
      method: "password",
      password: PASSWORD,
      traits: traits(),
      csrf_token: csrfOf(flow as never),
    },
  });
  assert.equal(raw.raw.status, 200);
  const body = await bodyOf(raw.raw.clone());
  assertSchema("successfulNativeRegistration", body);
  assert.equal(body.session_token, undefined, "browser flows never return the token");
  assert.ok(body.identity);
  assert.ok(body.session);
  assert.deepEqual(body.continue_with, [
    { action: "redirect_browser_to", redirect_browser_to: "https://app.example/home" },
  ]);
  assert.ok(jar.cookies.has("ory_kratos_session"));
  const session = await api.toSession();
  assert.equal(session.identity?.traits.email, "ada@example.com");
});

test("a duplicate identifier renders 4000007 into the flow and leaves exactly one identity", async (t) => {
  const s = await server(t);
  const api = frontend(s);
  for (const expectOk of [true, false]) {
    const flow = await api.createNativeRegistrationFlow();
    const res = await fetch(
      url(s, `/self-service/registration?flow=${flow.id}`),
      jsonBody({ method: "password", password: PASSWORD, traits: traits("Ada@Example.com") }),
    );
    if (expectOk) {
      assert.equal(res.status, 200);
      continue;
    }
    assert.equal(res.status, 400);
    const body = await bodyOf(res);
    assertSchema("registrationFlow", body);
    const messages = (body.ui as { messages?: { id: number }[] }).messages ?? [];
    assert.deepEqual(
      messages.map((m) => m.id),
      [4000007],
    );
    const email = (body.ui as { nodes: { attributes: { name: string; value?: unknown } }[] }).nodes.find(
      (n) => n.attributes.name === "traits.email",
    );
    assert.equal(email?.attributes.value, "Ada@Example.com", "the submitted value is echoed");
  }
  const { identities } = await s.store.listIdentities({ pageSize: 10 });
  assert.equal(identities.length, 1);
});

test("traits that break the schema: 4000040 on traits.email with the value echoed, nothing written", async (t) => {
  const s = await server(t);
  const api = frontend(s);
  const flow = await api.createNativeRegistrationFlow();
  const res = await fetch(
    url(s, `/self-service/registration?flow=${flow.id}`),
    jsonBody({ method: "password", password: PASSWORD, traits: { ...traits(), email: "not-an-email" } }),
  );
  assert.equal(res.status, 400);
  const body = await bodyOf(res);
  assertSchema("registrationFlow", body);
  const nodes = (
    body.ui as { nodes: { attributes: { name: string; value?: unknown }; messages: { id: number }[] }[] }
  ).nodes;
  const email = nodes.find((n) => n.attributes.name === "traits.email")!;
  assert.deepEqual(
    email.messages.map((m) => m.id),
    [4000040],
  );
  assert.equal(email.attributes.value, "not-an-email");
  const first = nodes.find((n) => n.attributes.name === "traits.name.first")!;
  assert.equal(first.attributes.value, "Ada");
  const password = nodes.find((n) => n.attributes.name === "password")!;
  assert.equal(password.attributes.value, undefined, "the password is never echoed");
  const { identities } = await s.store.listIdentities({ pageSize: 10 });
  assert.equal(identities.length, 0);
});

test("registration while signed in: JSON 400 session_already_available, browser 303 to the return URL", async (t) => {
  const s = await server(t, { selfservice: { default_browser_return_url: "https://app.example/" } });
  const jar = new CookieJar();
  const api = frontend(s, jar);
  const flow = await api.createBrowserRegistrationFlow({});
  await api.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: {
      method: "password",
      password: PASSWORD,
      traits: traits(),
      csrf_token: csrfOf(flow as never),
    },
  });
  const spa = await jar.fetch(url(s, "/self-service/registration/browser"), { headers: JSON_ACCEPT });
  assert.equal(spa.status, 400);
  const body = await bodyOf(spa);
  assertSchema("errorGeneric", body);
  assert.equal((body.error as { id: string }).id, "session_already_available");
  const browser = await jar.fetch(url(s, "/self-service/registration/browser"));
  assert.equal(browser.status, 303);
  assert.equal(browser.headers.get("location"), "https://app.example/");
});

test("a browser form post with invalid traits: 303 back to the registration UI; the flow shows the error", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/registration/browser"));
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const flow = await (await jar.fetch(url(s, `/self-service/registration/flows?id=${flowId}`))).json();
  const res = await jar.fetch(
    url(s, `/self-service/registration?flow=${flowId}`),
    form({
      method: "password",
      password: PASSWORD,
      "traits.email": "not-an-email",
      "traits.name.first": "Ada",
      csrf_token: csrfOf(flow),
    }),
  );
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), url(s, `/ui/registration?flow=${flowId}`));
  const shown = await bodyOf(await jar.fetch(url(s, `/self-service/registration/flows?id=${flowId}`)));
  assertSchema("registrationFlow", shown);
  const email = (
    shown.ui as { nodes: { attributes: { name: string; value?: unknown }; messages: { id: number }[] }[] }
  ).nodes.find((n) => n.attributes.name === "traits.email")!;
  assert.deepEqual(
    email.messages.map((m) => m.id),
    [4000040],
  );

  // The re-rendered flow carries a fresh CSRF token that still works.
  const retry = await jar.fetch(
    url(s, `/self-service/registration?flow=${flowId}`),
    form({
      method: "password",
      password: PASSWORD,
      "traits.email": "ada@example.com",
      csrf_token: csrfOf(shown as never),
    }),
  );
  assert.equal(retry.status, 303);
  assert.ok(jar.cookies.has("ory_kratos_session"));
});

test("registration accepts multipart/form-data", async (t) => {
  const s = await server(t);
  const flow = await frontend(s).createNativeRegistrationFlow();
  const body = new FormData();
  body.set("method", "password");
  body.set("password", PASSWORD);
  body.set("traits.email", "ada@example.com");
  const res = await fetch(url(s, `/self-service/registration?flow=${flow.id}`), { method: "POST", body });
  assert.equal(res.status, 200);
  assertSchema("successfulNativeRegistration", await bodyOf(res));
});

test("two concurrent registrations of one identifier: one succeeds, the other gets 4000007", async (t) => {
  const s = await server(t);
  const api = frontend(s);
  const flows = await Promise.all([api.createNativeRegistrationFlow(), api.createNativeRegistrationFlow()]);
  const results = await Promise.all(
    flows.map((f) =>
      fetch(
        url(s, `/self-service/registration?flow=${f.id}`),
        jsonBody({ method: "password", password: PASSWORD, traits: traits() }),
      ),
    ),
  );
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 400]);
  const failed = await bodyOf(results.find((r) => r.status === 400)!);
  assert.deepEqual(
    ((failed.ui as { messages?: { id: number }[] }).messages ?? []).map((m) => m.id),
    [4000007],
  );
  const { identities } = await s.store.listIdentities({ pageSize: 10 });
  assert.equal(identities.length, 1);
});
