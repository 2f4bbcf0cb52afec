import assert from "node:assert/strict";
import { test } from "node:test";
import { PASSWORD } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { identityCount, jsonnetSkip, oidcWorld, passwordAccount, REGISTRATION_OFF, url } from "./support.ts";

const JSON_HEADERS = { accept: "application/json", "content-type": "application/json" };

async function apiFlow(base: string, kind: "login" | "registration"): Promise<string> {
  const res = await fetch(new URL(`self-service/${kind}/api`, base));
  assert.equal(res.status, 200);
  return ((await res.json()) as { id: string }).id;
}

test("native apps sign up and sign in with the provider's id_token and nonce", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  const callback = url(w.s, "/self-service/methods/oidc/callback/loopback");
  const post = (kind: string, id: string, body: unknown) =>
    fetch(url(w.s, `/self-service/${kind}?flow=${id}`), {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify(body),
    });

  const regId = await apiFlow(w.s.publicUrl, "registration");
  const idToken = await w.op.idToken("nonce-1", callback);
  const reg = await post("registration", regId, {
    method: "oidc",
    provider: "loopback",
    id_token: idToken,
    id_token_nonce: "nonce-1",
  });
  assert.equal(reg.status, 200, await reg.clone().text());
  const regBody = (await reg.json()) as {
    session_token: string;
    identity: { id: string; traits: { email: string } };
  };
  assertSchema("successfulNativeRegistration", regBody);
  assert.ok(regBody.session_token.startsWith("ory_st_"));
  assert.equal(regBody.identity.traits.email, "alice@example.com");

  const loginId = await apiFlow(w.s.publicUrl, "login");
  const again = await w.op.idToken("nonce-2", callback);
  const login = await post("login", loginId, {
    method: "oidc",
    provider: "loopback",
    id_token: again,
    id_token_nonce: "nonce-2",
  });
  assert.equal(login.status, 200, await login.clone().text());
  const loginBody = (await login.json()) as {
    session: { identity: { id: string }; authentication_methods: { method: string; provider?: string }[] };
  };
  assertSchema("successfulNativeLogin", loginBody);
  assert.equal(loginBody.session.identity.id, regBody.identity.id);
  assert.deepEqual(
    loginBody.session.authentication_methods.map((m) => [m.method, m.provider]),
    [["oidc", "loopback"]],
  );

  // A nonce that is not the token's, no nonce, and a forged token are refused in the flow.
  for (const [body, pattern] of [
    [{ id_token: again, id_token_nonce: "other" }, /supplied nonce does not match/],
    [{ id_token: again }, /No nonce was provided/],
    [{ id_token: `${again.slice(0, -4)}AAAA`, id_token_nonce: "nonce-2" }, /Could not verify id_token/],
  ] as const) {
    const id = await apiFlow(w.s.publicUrl, "login");
    const res = await post("login", id, { method: "oidc", provider: "loopback", ...body });
    assert.equal(res.status, 400);
    const flow = (await res.json()) as { ui: { messages: { text: string }[] } };
    assertSchema("loginFlow", flow);
    assert.match(flow.ui.messages[0]!.text, pattern);
  }
});

test("a native sign-in whose id_token subject has no account signs up instead, as Kratos does", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  const callback = url(w.s, "/self-service/methods/oidc/callback/loopback");
  const signIn = async (nonce: string) => {
    const id = await apiFlow(w.s.publicUrl, "login");
    return fetch(url(w.s, `/self-service/login?flow=${id}`), {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({
        method: "oidc",
        provider: "loopback",
        id_token: await w.op.idToken(nonce, callback),
        id_token_nonce: nonce,
      }),
    });
  };

  const first = await signIn("nonce-a");
  assert.equal(first.status, 200, await first.clone().text());
  const created = (await first.json()) as {
    session_token: string;
    identity: { id: string; traits: { email: string }; verifiable_addresses: { verified: boolean }[] };
  };
  // The answer is the registration flow's: a successful native registration with its session.
  assertSchema("successfulNativeRegistration", created);
  assert.equal(created.identity.traits.email, "alice@example.com");
  assert.equal(created.identity.verifiable_addresses[0]?.verified, true);
  const me = await fetch(url(w.s, "/sessions/whoami"), {
    headers: { accept: "application/json", "x-session-token": created.session_token },
  });
  assert.equal(me.status, 200);
  assert.equal(((await me.json()) as { identity: { id: string } }).identity.id, created.identity.id);

  // The next native sign-in finds that account rather than creating another.
  const second = await signIn("nonce-b");
  assert.equal(second.status, 200, await second.clone().text());
  const login = (await second.json()) as { session: { identity: { id: string } } };
  assertSchema("successfulNativeLogin", login);
  assert.equal(login.session.identity.id, created.identity.id);
  const all = (await (await fetch(new URL("identities", w.s.adminUrl))).json()) as unknown[];
  assert.equal(all.length, 1);
});

test("with registration disabled, a native sign-in of an unknown subject is refused in the login flow", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t, { overrides: REGISTRATION_OFF });
  const callback = url(w.s, "/self-service/methods/oidc/callback/loopback");
  const id = await apiFlow(w.s.publicUrl, "login");
  const res = await fetch(url(w.s, `/self-service/login?flow=${id}`), {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({
      method: "oidc",
      provider: "loopback",
      id_token: await w.op.idToken("nonce-c", callback),
      id_token_nonce: "nonce-c",
    }),
  });
  assert.equal(res.status, 400, await res.clone().text());
  const flow = (await res.json()) as { id: string; ui: { messages: { id: number; text: string }[] } };
  assertSchema("loginFlow", flow);
  assert.equal(flow.id, id);
  assert.deepEqual(
    flow.ui.messages.map((m) => [m.id, m.text]),
    [[4000001, "Registration is not allowed because it was disabled."]],
  );
  assert.equal(await identityCount(w.s), 0);
});

test("a native sign-up whose email has an account answers Kratos's account-linking login flow (1010016)", {
  skip: jsonnetSkip,
}, async (t) => {
  for (const [kind, registrationEnabled] of [
    ["registration", true],
    ["login", true],
    ["login", false],
  ] as const) {
    const w = await oidcWorld(t, {
      overrides: { selfservice: { flows: { registration: { enabled: registrationEnabled } } } },
    });
    const identityId = await passwordAccount(w.s, "alice@example.com", PASSWORD);
    const callback = url(w.s, "/self-service/methods/oidc/callback/loopback");
    const id = await apiFlow(w.s.publicUrl, kind);
    const res = await fetch(url(w.s, `/self-service/${kind}?flow=${id}`), {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({
        method: "oidc",
        provider: "loopback",
        id_token: await w.op.idToken("nonce-l", callback),
        id_token_nonce: "nonce-l",
      }),
    });
    const label = `${kind}, registration ${registrationEnabled ? "on" : "off"}`;
    // Kratos: ErrDuplicateCredentials → registrationToLogin → a new api login flow, 400 as JSON.
    assert.equal(res.status, 400, `${label}: ${await res.clone().text()}`);
    const flow = (await res.json()) as {
      id: string;
      type: string;
      ui: { nodes: never[]; messages: { id: number; text: string; context: Record<string, unknown> }[] };
    };
    assertSchema("loginFlow", flow);
    assert.notEqual(flow.id, id, label);
    assert.equal(flow.type, "api", label);
    assert.deepEqual(
      flow.ui.messages.map((m) => m.id),
      [1010016],
      label,
    );
    assert.equal(flow.ui.messages[0]!.context.duplicateIdentifier, "alice@example.com", label);
    assert.equal(await identityCount(w.s), 1, `${label}: no account was created`);

    // Signing in there with the existing password links the provider to that account.
    const done = await fetch(url(w.s, `/self-service/login?flow=${flow.id}`), {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ method: "password", identifier: "alice@example.com", password: PASSWORD }),
    });
    assert.equal(done.status, 200, `${label}: ${await done.clone().text()}`);
    const admin = (await (await fetch(new URL(`identities/${identityId}`, w.s.adminUrl))).json()) as {
      credentials: { oidc?: { identifiers: string[] } };
    };
    assert.deepEqual(admin.credentials.oidc?.identifiers, ["loopback:alice-sub"], label);
  }
});
