import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bodyOf,
  CookieJar,
  csrfOf,
  form,
  frontend,
  globalMessageIds,
  HOUR,
  jsonBody,
  nodeOf,
  PASSWORD,
  url,
} from "../helpers/frontend.ts";
import { holdFlowReads } from "../helpers/interleave.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { latestMail, mailsTo } from "../helpers/outbox.ts";
import { enabledServer, registered } from "../verification/support.ts";

const NEW_PASSWORD = "Another-correct-horse-9981";
const TRANSITIONS = { feature_flags: { use_continue_with_transitions: true } } as const;

async function startApi(s: Awaited<ReturnType<typeof enabledServer>>, email = "ada@example.com") {
  const flow = await bodyOf(await fetch(url(s, "/self-service/recovery/api")));
  const sent = await fetch(
    url(s, `/self-service/recovery?flow=${flow.id}`),
    jsonBody({ method: "code", email }),
  );
  return { id: String(flow.id), sent };
}

test("native: code → session token and a privileged settings flow (continue_with); the new password works", async (t) => {
  const s = await enabledServer(t, TRANSITIONS);
  const { identityId } = await registered(s, "ada@example.com");
  const { id, sent } = await startApi(s);
  assert.equal(sent.status, 200);
  const sentFlow = await bodyOf(sent);
  assertSchema("recoveryFlow", sentFlow);
  assert.equal(sentFlow.state, "sent_email");
  assert.deepEqual(globalMessageIds(sentFlow), [1060003]);
  assert.equal(nodeOf(sentFlow, "code").attributes.maxlength, 6);
  const mail = await latestMail(s.store, "ada@example.com", "recovery_code.valid");
  assert.equal(mail.template, "recovery_code.valid");

  const done = await fetch(
    url(s, `/self-service/recovery?flow=${id}`),
    jsonBody({ method: "code", code: mail.code }),
  );
  assert.equal(done.status, 200);
  const body = await bodyOf(done);
  assertSchema("recoveryFlow", body);
  assert.equal(body.state, "passed_challenge");
  const cw = body.continue_with as {
    action: string;
    ory_session_token?: string;
    flow?: { id: string; url?: string };
  }[];
  const token = cw.find((c) => c.action === "set_ory_session_token")?.ory_session_token;
  const settings = cw.find((c) => c.action === "show_settings_ui")?.flow;
  assert.ok(token && settings);

  // The settings flow accepts a new password without the old one (the session is fresh, privileged).
  const api = frontend(s);
  const flow = await api.getSettingsFlow({ id: settings.id, xSessionToken: token });
  assert.deepEqual(globalMessageIds(flow), [1060001]);
  const changed = await api.updateSettingsFlow({
    flow: settings.id,
    xSessionToken: token,
    updateSettingsFlowBody: { method: "password", password: NEW_PASSWORD },
  });
  assert.equal(changed.state, "success");
  const login = await api.createNativeLoginFlow();
  const res = await api.updateLoginFlow({
    flow: login.id,
    updateLoginFlowBody: { method: "password", identifier: "ada@example.com", password: NEW_PASSWORD },
  });
  assert.equal(res.session.identity?.id, identityId);
  // The recovered address counts as verified: the code proved it.
  assert.equal((await s.store.getIdentity(identityId))!.verifiableAddresses[0]!.verified, true);
});

test("native without use_continue_with_transitions: 422 browser_location_change_required (Kratos)", async (t) => {
  const s = await enabledServer(t);
  await registered(s, "ada@example.com");
  const { id } = await startApi(s);
  const mail = await latestMail(s.store, "ada@example.com", "recovery_code.valid");
  const done = await fetch(
    url(s, `/self-service/recovery?flow=${id}`),
    jsonBody({ method: "code", code: mail.code }),
  );
  assert.equal(done.status, 422);
  const body = await bodyOf(done);
  assert.equal((body.error as { id: string }).id, "browser_location_change_required");
  assert.match(String(body.redirect_browser_to), /\/ui\/settings\?flow=/);
});

test("browser: code → session cookie and 303 to the settings UI; then a new password without the old one", async (t) => {
  const s = await enabledServer(t);
  await registered(s, "ada@example.com");
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/recovery/browser"));
  assert.equal(init.status, 303);
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const flow = await bodyOf(await jar.fetch(url(s, `/self-service/recovery/flows?id=${flowId}`)));
  const noCsrf = await jar.fetch(
    url(s, `/self-service/recovery?flow=${flowId}`),
    form({ method: "code", email: "ada@example.com" }),
  );
  assert.match(noCsrf.headers.get("location")!, /\/ui\/error\?id=/);
  assert.equal((await mailsTo(s.store, "ada@example.com", "recovery_code.valid")).length, 0);

  await jar.fetch(
    url(s, `/self-service/recovery?flow=${flowId}`),
    form({ method: "code", email: "ada@example.com", csrf_token: csrfOf(flow as never) }),
  );
  const sentFlow = await bodyOf(await jar.fetch(url(s, `/self-service/recovery/flows?id=${flowId}`)));
  const mail = await latestMail(s.store, "ada@example.com", "recovery_code.valid");
  const done = await jar.fetch(
    url(s, `/self-service/recovery?flow=${flowId}`),
    form({ method: "code", code: mail.code!, csrf_token: csrfOf(sentFlow as never) }),
  );
  assert.equal(done.status, 303);
  const to = new URL(done.headers.get("location")!);
  assert.equal(to.pathname, "/ui/settings");
  assert.ok(jar.cookies.has("ory_kratos_session"));
  const settingsId = to.searchParams.get("flow")!;
  const settings = await bodyOf(
    await jar.fetch(url(s, `/self-service/settings/flows?id=${settingsId}`), {
      headers: { accept: "application/json" },
    }),
  );
  const res = await jar.fetch(
    url(s, `/self-service/settings?flow=${settingsId}`),
    form({ method: "password", password: NEW_PASSWORD, csrf_token: csrfOf(settings as never) }),
  );
  assert.equal(res.status, 303, await res.clone().text());
});

test("SPA through the Ory SDK: the recovery flow ends in continue_with show_settings_ui", async (t) => {
  const s = await enabledServer(t, TRANSITIONS);
  await registered(s, "ada@example.com");
  const jar = new CookieJar();
  const api = frontend(s, jar);
  const flow = await api.createBrowserRecoveryFlow();
  const csrf = csrfOf(flow as never);
  const sent = await api.updateRecoveryFlow({
    flow: flow.id,
    updateRecoveryFlowBody: { method: "code", email: "ada@example.com", csrf_token: csrf },
  });
  assert.equal(sent.state, "sent_email");
  const mail = await latestMail(s.store, "ada@example.com", "recovery_code.valid");
  const done = await api.updateRecoveryFlow({
    flow: flow.id,
    updateRecoveryFlowBody: { method: "code", code: mail.code!, csrf_token: csrfOf(sent as never) },
  });
  assert.equal(done.state, "passed_challenge");
  assert.ok(done.continue_with?.some((c) => c.action === "show_settings_ui"));
  assert.ok(jar.cookies.has("ory_kratos_session"));
  const session = await api.toSession();
  assert.ok(session.authentication_methods?.some((m) => m.method === "code_recovery"));
});

test("unknown address: same answer, nothing queued; wrong, expired and reused codes; too many attempts", async (t) => {
  const s = await enabledServer(t, TRANSITIONS);
  await registered(s, "ada@example.com");
  const known = await startApi(s, "ada@example.com");
  const unknown = await startApi(s, "nobody@example.com");
  const shape = async (res: Response) => {
    const b = await bodyOf(res);
    return {
      status: res.status,
      state: b.state,
      messages: globalMessageIds(b),
      nodes: (b.ui as { nodes: unknown[] }).nodes.length,
    };
  };
  assert.deepEqual(await shape(unknown.sent), await shape(known.sent));
  assert.equal((await mailsTo(s.store, "nobody@example.com")).length, 0);

  const code = (await latestMail(s.store, "ada@example.com", "recovery_code.valid")).code!;
  const submit = (id: string, c: string) =>
    fetch(url(s, `/self-service/recovery?flow=${id}`), {
      ...jsonBody({ method: "code", code: c }),
      redirect: "manual",
    });
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  assert.deepEqual(globalMessageIds(await bodyOf(await submit(known.id, wrong))), [4060006]);
  // A code from another flow does not work here.
  assert.deepEqual(globalMessageIds(await bodyOf(await submit(unknown.id, code))), [4060006]);
  assert.equal((await submit(known.id, code)).status, 200);
  const reused = await submit(known.id, code);
  assert.equal(reused.status, 410);

  const other = await startApi(s);
  const otherCode = (await latestMail(s.store, "ada@example.com", "recovery_code.valid")).code!;
  s.clock.advance(HOUR + 60_000);
  const expired = await submit(other.id, otherCode);
  assert.equal(expired.status, 303);
  const replacement = await bodyOf(await fetch(expired.headers.get("location")!));
  assert.deepEqual(globalMessageIds(replacement), [4060005]);

  const third = await startApi(s);
  const thirdCode = (await latestMail(s.store, "ada@example.com", "recovery_code.valid")).code!;
  for (let i = 0; i < 5; i++)
    await submit(third.id, String((Number(thirdCode) + 1 + i) % 1_000_000).padStart(6, "0"));
  assert.equal((await submit(third.id, thirdCode)).status, 410);
});

test("admin: POST /admin/recovery/code and /admin/recovery/link for an identity", async (t) => {
  const s = await enabledServer(t, { selfservice: { methods: { link: { enabled: true } } }, ...TRANSITIONS });
  const { identityId } = await registered(s, "ada@example.com");
  const adminUrl = (p: string) => new URL(p.replace(/^\//, ""), s.adminUrl).toString();
  const res = await fetch(
    adminUrl("/admin/recovery/code"),
    jsonBody({ identity_id: identityId, expires_in: "15m" }),
  );
  assert.equal(res.status, 201);
  const body = await bodyOf(res);
  assertSchema("recoveryCodeForIdentity", body);
  const flowId = new URL(String(body.recovery_link)).searchParams.get("flow")!;
  const done = await fetch(
    url(s, `/self-service/recovery?flow=${flowId}`),
    jsonBody({ method: "code", code: body.recovery_code }),
  );
  assert.equal(done.status, 200, await done.clone().text());

  const missing = await fetch(
    adminUrl("/admin/recovery/code"),
    jsonBody({ identity_id: crypto.randomUUID() }),
  );
  assert.equal(missing.status, 404);
  const bad = await fetch(
    adminUrl("/admin/recovery/code"),
    jsonBody({ identity_id: identityId, expires_in: "soon" }),
  );
  assert.equal(bad.status, 400);

  const link = await fetch(adminUrl("/admin/recovery/link"), jsonBody({ identity_id: identityId }));
  assert.equal(link.status, 200);
  const linkBody = await bodyOf(link);
  assertSchema("recoveryLinkForIdentity", linkBody);
  void PASSWORD;
});

test("concurrent wrong recovery codes never get more tries than max_submissions", async (t) => {
  const s = await enabledServer(t, TRANSITIONS);
  await registered(s, "ada@example.com");
  const { id } = await startApi(s);
  const code = (await latestMail(s.store, "ada@example.com", "recovery_code.valid")).code!;
  const submit = (c: string) =>
    fetch(url(s, `/self-service/recovery?flow=${id}`), {
      ...jsonBody({ method: "code", code: c }),
      redirect: "manual",
    });
  const n = 8;
  holdFlowReads(s.store, id, n);
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) => submit(String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"))),
  );
  const checked = answers.filter((res) => res.status === 200).length;
  assert.equal(checked, 5, "exactly max_submissions (5) were checked; the rest were too many");
  assert.equal(answers.filter((res) => res.status === 410).length, 3);
  assert.equal((await submit(code)).status, 410, "the right code afterwards is refused too");
});
