import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bodyOf,
  CookieJar,
  csrfOf,
  form,
  frontend,
  jsonBody,
  PASSWORD,
  traits,
  url,
} from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { latestMail } from "../helpers/outbox.ts";
import { enabledServer, registered } from "./support.ts";

test("native registration: continue_with show_verification_ui (no url) and the code is already mailed", async (t) => {
  const s = await enabledServer(t);
  const api = frontend(s);
  const flow = await api.createNativeRegistrationFlow();
  const res = await fetch(
    url(s, `/self-service/registration?flow=${flow.id}`),
    jsonBody({ method: "password", password: PASSWORD, traits: traits() }),
  );
  const body = await bodyOf(res);
  assertSchema("successfulNativeRegistration", body);
  const cw = body.continue_with as {
    action: string;
    flow?: { id: string; verifiable_address: string; url?: string };
  }[];
  const item = cw.find((c) => c.action === "show_verification_ui");
  assert.ok(item?.flow);
  assert.equal(item.flow.verifiable_address, "ada@example.com");
  assert.equal(item.flow.url, undefined, "api flows get no url");
  const vf = await bodyOf(await fetch(url(s, `/self-service/verification/flows?id=${item.flow.id}`)));
  assert.equal(vf.state, "sent_email");
  const mail = await latestMail(s.store, "ada@example.com", "verification_code.valid");
  const done = await fetch(
    url(s, `/self-service/verification?flow=${item.flow.id}`),
    jsonBody({ method: "code", code: mail.code }),
  );
  assert.equal((await bodyOf(done)).state, "passed_challenge");
  const identity = await s.store.getIdentity((body.identity as { id: string }).id);
  assert.equal(identity!.verifiableAddresses[0]!.status, "completed");
});

test("browser registration with show_verification_ui: 303 to the verification UI of the new flow", async (t) => {
  const s = await enabledServer(t);
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/registration/browser"));
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const flow = await bodyOf(await jar.fetch(url(s, `/self-service/registration/flows?id=${flowId}`)));
  const res = await jar.fetch(
    url(s, `/self-service/registration?flow=${flowId}`),
    form({
      method: "password",
      password: PASSWORD,
      "traits.email": "ada@example.com",
      csrf_token: csrfOf(flow as never),
    }),
  );
  assert.equal(res.status, 303);
  const to = new URL(res.headers.get("location")!);
  assert.equal(to.pathname, "/ui/verification");
  const vf = await bodyOf(
    await jar.fetch(url(s, `/self-service/verification/flows?id=${to.searchParams.get("flow")}`)),
  );
  assert.equal(vf.state, "sent_email");
});

test("settings: a new address gets a verification flow; show_verification_ui adds it to continue_with", async (t) => {
  const s = await enabledServer(t, {
    selfservice: {
      flows: { settings: { after: { profile: { hooks: [{ hook: "show_verification_ui" }] } } } },
    },
  });
  const { token } = await registered(s, "ada@example.com");
  const api = frontend(s);
  const flow = await api.createNativeSettingsFlow({ xSessionToken: token });
  const res = await fetch(url(s, `/self-service/settings?flow=${flow.id}`), {
    ...jsonBody({ method: "profile", traits: traits("grace@example.com") }),
    headers: { "content-type": "application/json", accept: "application/json", "x-session-token": token },
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await bodyOf(res);
  assertSchema("settingsFlow", body);
  const item = (body.continue_with as { action: string; flow?: { verifiable_address: string } }[]).find(
    (c) => c.action === "show_verification_ui",
  );
  assert.equal(item?.flow?.verifiable_address, "grace@example.com");
  assert.ok((await latestMail(s.store, "grace@example.com", "verification_code.valid")).code);
});

test("login with require_verified_address: 403 session_verified_address_required with a verification flow", async (t) => {
  const s = await enabledServer(t, {
    selfservice: {
      flows: { login: { after: { password: { hooks: [{ hook: "require_verified_address" }] } } } },
    },
  });
  await registered(s, "ada@example.com");
  const api = frontend(s);
  const login = await api.createNativeLoginFlow();
  const res = await fetch(
    url(s, `/self-service/login?flow=${login.id}`),
    jsonBody({ method: "password", identifier: "ada@example.com", password: PASSWORD }),
  );
  assert.equal(res.status, 403);
  const body = await bodyOf(res);
  assertSchema("errorGeneric", body);
  const error = body.error as {
    id: string;
    details: { continue_with: { action: string; flow: { id: string } }[] };
  };
  assert.equal(error.id, "session_verified_address_required");
  const flowId = error.details.continue_with[0]!.flow.id;
  const mail = await latestMail(s.store, "ada@example.com", "verification_code.valid");
  const done = await fetch(
    url(s, `/self-service/verification?flow=${flowId}`),
    jsonBody({ method: "code", code: mail.code }),
  );
  assert.equal((await bodyOf(done)).state, "passed_challenge");
  const again = await api.createNativeLoginFlow();
  const ok = await api.updateLoginFlow({
    flow: again.id,
    updateLoginFlowBody: { method: "password", identifier: "ada@example.com", password: PASSWORD },
  });
  assert.ok(ok.session_token);
});
