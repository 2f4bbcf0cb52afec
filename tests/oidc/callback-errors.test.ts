import assert from "node:assert/strict";
import { test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import { startTestServer } from "../helpers/server.ts";
import {
  base64,
  browserFlow,
  CookieJar,
  csrfOf,
  form,
  identityCount,
  jsonnetSkip,
  oidcWorld,
  passwordAccount,
  REGISTRATION_OFF,
  roundTrip,
  startWithProvider,
  url,
  whoami,
} from "./support.ts";

type Flow = {
  id: string;
  ui: {
    nodes: { attributes: Record<string, unknown>; group: string }[];
    messages?: { id: number; text: string }[];
  };
};

async function flowJson(s: { publicUrl: string }, jar: CookieJar, kind: string, id: string): Promise<Flow> {
  const res = await jar.fetch(url(s as never, `/self-service/${kind}/flows?id=${id}`), {
    headers: { accept: "application/json" },
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assertSchema(
    kind === "login" ? "loginFlow" : kind === "registration" ? "registrationFlow" : "settingsFlow",
    body,
  );
  return body as Flow;
}

async function errorOf(s: { publicUrl: string }, jar: CookieJar, res: Response) {
  assert.equal(res.status, 303);
  const to = new URL(res.headers.get("location")!);
  const id = to.searchParams.get("id");
  assert.ok(id, `expected the error container, got ${to}`);
  const err = await jar.fetch(url(s as never, `/self-service/errors?id=${id}`), {
    headers: { accept: "application/json" },
  });
  const body = (await err.json()) as { error: { code: number; reason: string } };
  return body.error;
}

test("the provider's access_denied becomes the contract's message in the flow", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "registration");
  const to = await startWithProvider(w.s, jar, "registration", flow);
  w.op.deny = true;
  const back = await w.op.authorize(to);
  assert.match(back, /error=access_denied/);
  const res = await jar.fetch(back);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), `${w.s.app.deps.config.ui.registration}?flow=${flow.id}`);
  const shown = await flowJson(w.s, jar, "registration", flow.id);
  assert.equal(shown.ui.messages?.[0]?.id, 4000001);
  assert.equal(
    shown.ui.messages?.[0]?.text,
    'Unable to complete OpenID Connect flow because the OpenID Provider returned error "access_denied": The resource owner denied the request',
  );
  assert.equal((await whoami(w.s, jar)).status, 401);
});

test("a callback without code, a replayed callback, a foreign state and a forged state are refused", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "login");
  const to = await startWithProvider(w.s, jar, "login", flow);
  const state = new URL(to).searchParams.get("state")!;

  // Another browser's flow and state: its cookie does not name this round trip.
  const mallory = new CookieJar();
  const mFlow = await browserFlow(w.s, mallory, "login");
  const mTo = await startWithProvider(w.s, mallory, "login", mFlow);
  const foreign = new URL(mTo).searchParams.get("state")!;
  const foreignRes = await jar.fetch(
    url(w.s, `/self-service/methods/oidc/callback/loopback?state=${foreign}&code=x`),
  );
  const foreignErr = await errorOf(w.s, jar, foreignRes);
  assert.equal(foreignErr.code, 400);
  assert.match(foreignErr.reason, /does not match the state parameter from the session cookie/);

  // A forged state.
  const forged = await jar.fetch(url(w.s, "/self-service/methods/oidc/callback/loopback?state=zz&code=x"), {
    headers: { accept: "application/json" },
  });
  assert.equal(forged.status, 400);
  const forgedBody = await forged.json();
  assertSchema("errorGeneric", forgedBody);
  assert.match((forgedBody as { error: { reason: string } }).error.reason, /state parameter is invalid/);

  // No code: the flow shows the contract's message.
  const noCode = await jar.fetch(url(w.s, `/self-service/methods/oidc/callback/loopback?state=${state}`));
  assert.equal(noCode.status, 303);
  const shown = await flowJson(w.s, jar, "login", flow.id);
  assert.match(shown.ui.messages?.[0]?.text ?? "", /did not return the code query parameter/);

  // The round trip was consumed: the same state again is refused.
  const replay = await jar.fetch(
    url(w.s, `/self-service/methods/oidc/callback/loopback?state=${state}&code=x`),
  );
  assert.match((await errorOf(w.s, jar, replay)).reason, /does not match/);

  // A state naming another provider than the URL.
  const mismatch = await mallory.fetch(
    url(w.s, `/self-service/methods/oidc/callback/other?state=${foreign}`),
    { headers: { accept: "application/json" } },
  );
  assert.equal(mismatch.status, 400);
});

test("an expired flow at callback time is replaced with the expired message", {
  skip: jsonnetSkip,
}, async (t) => {
  // The flow (10 minutes) expires before the round trip's container (30 minutes).
  const w = await oidcWorld(t, { overrides: { selfservice: { flows: { login: { lifespan: "10m" } } } } });
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "login");
  const to = await startWithProvider(w.s, jar, "login", flow);
  const back = await w.op.authorize(to);
  w.s.clock.advance(15 * 60_000);
  const res = await jar.fetch(back);
  assert.equal(res.status, 303);
  const next = new URL(res.headers.get("location")!).searchParams.get("flow")!;
  assert.notEqual(next, flow.id);
  const shown = await flowJson(w.s, jar, "login", next);
  assert.equal(shown.ui.messages?.[0]?.id, 4010001);
  assert.equal((await whoami(w.s, jar)).status, 401);
});

test("an unknown provider is a 404; a missing provider is 4000002", { skip: jsonnetSkip }, async (t) => {
  const w = await oidcWorld(t);
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "login");
  const res = await jar.fetch(url(w.s, `/self-service/login?flow=${flow.id}`), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ method: "oidc", provider: "nope", csrf_token: csrfOf(flow) }),
  });
  assert.equal(res.status, 404);
  const body = await res.json();
  assertSchema("errorGeneric", body);
  const missing = await jar.fetch(url(w.s, `/self-service/login?flow=${flow.id}`), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ method: "oidc", csrf_token: csrfOf(flow) }),
  });
  assert.equal(missing.status, 400);
  const shown = (await missing.json()) as Flow;
  assertSchema("loginFlow", shown);
  assert.ok(shown.ui.nodes.some((n) => n.attributes.name === "provider"));
});

test("SPA sign-in gets 422 with redirect_browser_to; api flows without id_token get a message", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "login");
  const res = await jar.fetch(url(w.s, `/self-service/login?flow=${flow.id}`), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({
      method: "oidc",
      provider: "loopback",
      csrf_token: csrfOf(flow),
      upstream_parameters: { prompt: "login", login_hint: "x@y.z" },
    }),
  });
  assert.equal(res.status, 422);
  const body = (await res.json()) as { error: { id: string }; redirect_browser_to: string };
  assertSchema("errorGeneric", { error: body.error });
  assert.equal(body.error.id, "browser_location_change_required");
  const to = new URL(body.redirect_browser_to);
  assert.equal(to.searchParams.get("prompt"), "login");
  assert.equal(to.searchParams.get("login_hint"), null);

  const api = await fetch(url(w.s, "/self-service/login/api"));
  const apiFlow = (await api.json()) as Flow;
  const native = await fetch(url(w.s, `/self-service/login?flow=${apiFlow.id}`), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ method: "oidc", provider: "loopback" }),
  });
  assert.equal(native.status, 400);
  const nativeBody = (await native.json()) as Flow;
  assertSchema("loginFlow", nativeBody);
  assert.match(nativeBody.ui.messages?.[0]?.text ?? "", /id_token/);
});

test("a mapper failure and traits that fail the schema come back as registration messages", {
  skip: jsonnetSkip,
}, async (t) => {
  const broken = await oidcWorld(t, {
    mapper: "local c = std.extVar('claims'); { identity: { traits: error 'no way' } }",
  });
  const jar = new CookieJar();
  const flow = await browserFlow(broken.s, jar, "registration");
  const to = await startWithProvider(broken.s, jar, "registration", flow);
  const res = await jar.fetch(await broken.op.authorize(to));
  assert.equal(res.status, 303);
  const shown = await flowJson(broken.s, jar, "registration", flow.id);
  assert.match(shown.ui.messages?.[0]?.text ?? "", /jsonnet mapper failed: no way/);

  // A mapper that uses import is refused before it runs.
  const importing = await oidcWorld(t, {
    mapper: "local x = import '/etc/passwd'; { identity: { traits: {} } }",
  });
  const jar2 = new CookieJar();
  const flow2 = await browserFlow(importing.s, jar2, "registration");
  const res2 = await jar2.fetch(
    await importing.op.authorize(await startWithProvider(importing.s, jar2, "registration", flow2)),
  );
  assert.equal(res2.status, 303);
  assert.match(
    (await flowJson(importing.s, jar2, "registration", flow2.id)).ui.messages?.[0]?.text ?? "",
    /may not use import/,
  );

  // Mapped traits without the required email: the form comes back with the mapped name filled in.
  const partial = await oidcWorld(t, {
    mapper:
      "local c = std.extVar('claims'); { identity: { traits: { name: { first: 'Alice', last: 'Liddell' } } } }",
  });
  const jar3 = new CookieJar();
  const flow3 = await browserFlow(partial.s, jar3, "registration");
  const res3 = await jar3.fetch(
    await partial.op.authorize(await startWithProvider(partial.s, jar3, "registration", flow3)),
  );
  assert.equal(res3.status, 303);
  const filled = await flowJson(partial.s, jar3, "registration", flow3.id);
  const first = filled.ui.nodes.find((n) => n.attributes.name === "traits.name.first" && n.group === "oidc");
  assert.equal(first?.attributes.value, "Alice");
  const emailMessages = filled.ui.nodes
    .filter((n) => n.attributes.name === "traits.email")
    .flatMap((n) => (n as unknown as { messages: { id: number }[] }).messages.map((m) => m.id));
  assert.deepEqual(emailMessages, [4000002]);

  // Completing the email and starting again signs up with the merged traits.
  const res4 = await jar3.fetch(
    url(partial.s, `/self-service/registration?flow=${flow3.id}`),
    form({
      method: "oidc",
      provider: "loopback",
      "traits.email": "alice@example.com",
      "traits.name.first": "Alice",
      "traits.name.last": "Liddell",
      csrf_token: csrfOf(filled),
    }),
  );
  assert.equal(res4.status, 303);
  const done = await jar3.fetch(await partial.op.authorize(res4.headers.get("location")!));
  assert.equal(done.status, 303);
  const me = await whoami(partial.s, jar3);
  assert.equal(me.status, 200);
  assert.equal(me.body.identity.traits.email, "alice@example.com");
});

test("oidc disabled: submissions naming it and the callback answer 404", async (t) => {
  const s = await startTestServer({
    selfservice: {
      methods: {
        oidc: {
          enabled: false,
          config: {
            providers: [
              {
                id: "x",
                provider: "generic",
                client_id: "c",
                issuer_url: "http://127.0.0.1:9",
                mapper_url: base64("{}"),
              },
            ],
          },
        },
      },
    },
  });
  t.after(() => s.close());
  const cb = await fetch(url(s, "/self-service/methods/oidc/callback/x?state=a&code=b"), {
    headers: { accept: "application/json" },
  });
  assert.equal(cb.status, 404);
  assertSchema("errorGeneric", await cb.json());
  const jar = new CookieJar();
  const flow = await browserFlow(s, jar, "login");
  const res = await jar.fetch(url(s, `/self-service/login?flow=${flow.id}`), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json" },
    body: JSON.stringify({ method: "oidc", provider: "x", csrf_token: csrfOf(flow) }),
  });
  assert.equal(res.status, 404);
  assert.ok(!flow.ui.nodes.some((n) => n.attributes.name === "provider"));
});

test("with registration disabled, a browser sign-in of an unknown subject is refused in the login flow as Kratos does", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t, { overrides: REGISTRATION_OFF });
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "login");
  const res = await roundTrip(w, jar, "login", flow);
  // Kratos's ProcessLogin: ErrRegistrationDisabled written into the same login flow (generic 4000001).
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), `${w.s.app.deps.config.ui.login}?flow=${flow.id}`);
  const shown = await flowJson(w.s, jar, "login", flow.id);
  assert.deepEqual(
    shown.ui.messages?.map((m) => [m.id, m.text]),
    [[4000001, "Registration is not allowed because it was disabled."]],
  );
  assert.equal((await whoami(w.s, jar)).status, 401);
  assert.equal(await identityCount(w.s), 0);
});

test("with registration disabled, a browser sign-in whose email has an account still links it (1010016)", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t, { overrides: REGISTRATION_OFF });
  await passwordAccount(w.s, "alice@example.com", "Tessera-correct-horse-7421");
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "login");
  const res = await roundTrip(w, jar, "login", flow);
  // Kratos converts to an account-linking registration flow, which ends in a login flow with 1010016.
  assert.equal(res.status, 303);
  const to = new URL(res.headers.get("location")!);
  assert.equal(`${to.origin}${to.pathname}`, w.s.app.deps.config.ui.login);
  const shown = await flowJson(w.s, jar, "login", to.searchParams.get("flow")!);
  assert.equal(shown.ui.messages?.[0]?.id, 1010016);
  assert.equal((await whoami(w.s, jar)).status, 401);
});
