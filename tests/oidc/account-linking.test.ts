import assert from "node:assert/strict";
import { test } from "node:test";
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
