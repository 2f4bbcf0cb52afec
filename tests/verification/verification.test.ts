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
  JSON_ACCEPT,
  jsonBody,
  nodeOf,
  PASSWORD,
  url,
} from "../helpers/frontend.ts";
import { holdFlowReads } from "../helpers/interleave.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { allMails, latestMail, mailsTo } from "../helpers/outbox.ts";
import { enabledServer, registered } from "./support.ts";

async function addressOf(s: Awaited<ReturnType<typeof enabledServer>>, identityId: string) {
  const identity = await s.store.getIdentity(identityId);
  return identity!.verifiableAddresses[0]!;
}

test("native: code by mail verifies the address (status completed, verified_at)", async (t) => {
  const s = await enabledServer(t);
  const { identityId } = await registered(s, "ada@example.com");
  const created = await fetch(url(s, "/self-service/verification/api"));
  assert.equal(created.status, 200);
  const flow = await bodyOf(created);
  assertSchema("verificationFlow", flow);
  assert.equal(flow.state, "choose_method");
  assert.equal(nodeOf(flow, "email").attributes.type, "email");

  const sent = await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", email: "ada@example.com" }),
  );
  assert.equal(sent.status, 200);
  const sentFlow = await bodyOf(sent);
  assertSchema("verificationFlow", sentFlow);
  assert.equal(sentFlow.state, "sent_email");
  assert.deepEqual(globalMessageIds(sentFlow), [1080003]);
  assert.equal(nodeOf(sentFlow, "code").attributes.type, "text");
  const mail = await latestMail(s.store, "ada@example.com", "verification_code.valid");
  assert.equal(mail.template, "verification_code.valid");
  assert.ok(mail.code);
  assert.equal((await addressOf(s, identityId)).status, "sent");

  const done = await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", code: mail.code }),
  );
  assert.equal(done.status, 200);
  const doneFlow = await bodyOf(done);
  assertSchema("verificationFlow", doneFlow);
  assert.equal(doneFlow.state, "passed_challenge");
  assert.deepEqual(globalMessageIds(doneFlow), [1080002]);
  const address = await addressOf(s, identityId);
  assert.equal(address.verified, true);
  assert.equal(address.status, "completed");
  assert.ok(address.verifiedAt);

  // Reused: the flow is done; a JSON caller gets a replacement flow (410 self_service_flow_replaced).
  const again = await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", code: mail.code }),
  );
  assert.equal(again.status, 410);
  const err = await bodyOf(again);
  assert.equal((err.error as { id: string }).id, "self_service_flow_replaced");
  assert.ok(err.use_flow_id);
});

test("browser: form posts redirect to the verification UI; the CSRF token is required for sending", async (t) => {
  const s = await enabledServer(t);
  await registered(s, "ada@example.com");
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/verification/browser"));
  assert.equal(init.status, 303);
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const flow = await bodyOf(await jar.fetch(url(s, `/self-service/verification/flows?id=${flowId}`)));

  const noCsrf = await jar.fetch(
    url(s, `/self-service/verification?flow=${flowId}`),
    form({ method: "code", email: "ada@example.com" }),
  );
  assert.equal(noCsrf.status, 303);
  assert.match(noCsrf.headers.get("location")!, /\/ui\/error\?id=/);
  assert.equal(
    (await allMails(s.store)).length,
    1,
    "only the registration's mail: nothing is sent without the CSRF token",
  );

  const sent = await jar.fetch(
    url(s, `/self-service/verification?flow=${flowId}`),
    form({ method: "code", email: "ada@example.com", csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(sent.status, 303);
  assert.match(sent.headers.get("location")!, new RegExp(`/ui/verification\\?flow=${flowId}`));
  const mail = await latestMail(s.store, "ada@example.com", "verification_code.valid");
  const done = await jar.fetch(
    url(s, `/self-service/verification?flow=${flowId}`),
    form({ method: "code", code: mail.code!, csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(done.status, 303);
  const passed = await bodyOf(await jar.fetch(url(s, `/self-service/verification/flows?id=${flowId}`)));
  assert.equal(passed.state, "passed_challenge");
  const anchor = (passed.ui as { nodes: { attributes: Record<string, unknown> }[] }).nodes[0]!.attributes;
  assert.equal(anchor.node_type, "a");
  assert.equal(anchor.id, "continue");
});

test("SPA through the Ory SDK: send, wrong code, right code", async (t) => {
  const s = await enabledServer(t);
  await registered(s, "ada@example.com");
  const jar = new CookieJar();
  const api = frontend(s, jar);
  const flow = await api.createBrowserVerificationFlow();
  const csrf = csrfOf(flow as never);
  const sent = await api.updateVerificationFlow({
    flow: flow.id,
    updateVerificationFlowBody: { method: "code", email: "ada@example.com", csrf_token: csrf },
  });
  assert.equal(sent.state, "sent_email");
  const wrong = await api.updateVerificationFlow({
    flow: flow.id,
    updateVerificationFlowBody: { method: "code", code: "000000", csrf_token: csrf },
  });
  assert.deepEqual(globalMessageIds(wrong), [4070006]);
  const mail = await latestMail(s.store, "ada@example.com", "verification_code.valid");
  const code = mail.code === "000000" ? "999999" : mail.code!;
  const done = await api.updateVerificationFlow({
    flow: flow.id,
    updateVerificationFlowBody: { method: "code", code, csrf_token: csrf },
  });
  assert.equal(done.state, "passed_challenge");
});

test("unknown address: the same answer, and nothing is queued unless notify_unknown_recipients", async (t) => {
  const s = await enabledServer(t);
  await registered(s, "ada@example.com");
  const answer = async (email: string) => {
    const flow = await bodyOf(await fetch(url(s, "/self-service/verification/api")));
    const res = await fetch(
      url(s, `/self-service/verification?flow=${flow.id}`),
      jsonBody({ method: "code", email }),
    );
    const body = await bodyOf(res);
    return {
      status: res.status,
      state: body.state,
      messages: globalMessageIds(body),
      nodes: (body.ui as { nodes: unknown[] }).nodes.length,
    };
  };
  const known = await answer("ada@example.com");
  const unknown = await answer("nobody@example.com");
  assert.deepEqual(unknown, known);
  assert.equal((await mailsTo(s.store, "nobody@example.com")).length, 0);

  const notifying = await enabledServer(t, {
    selfservice: { flows: { verification: { notify_unknown_recipients: true } } },
  });
  const flow = await bodyOf(await fetch(url(notifying, "/self-service/verification/api")));
  await fetch(
    url(notifying, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", email: "nobody@example.com" }),
  );
  const mail = await latestMail(notifying.store, "nobody@example.com");
  assert.equal(mail.template, "verification_code.invalid");
  assert.equal(mail.code, undefined);
});

test("codes: expired, from another flow, too many attempts", async (t) => {
  const s = await enabledServer(t);
  const { identityId } = await registered(s, "ada@example.com");
  const start = async () => {
    const flow = await bodyOf(await fetch(url(s, "/self-service/verification/api")));
    await fetch(
      url(s, `/self-service/verification?flow=${flow.id}`),
      jsonBody({ method: "code", email: "ada@example.com" }),
    );
    return {
      id: String(flow.id),
      code: (await latestMail(s.store, "ada@example.com", "verification_code.valid")).code!,
    };
  };
  const submit = (id: string, code: string) =>
    fetch(url(s, `/self-service/verification?flow=${id}`), {
      ...jsonBody({ method: "code", code }),
      redirect: "manual",
    });

  // A code from another flow does not verify this one.
  const a = await start();
  const b = await start();
  const cross = await bodyOf(await submit(b.id, a.code === b.code ? "000001" : a.code));
  assert.deepEqual(globalMessageIds(cross), [4070006]);

  // Expired (the code lives 1h by default; the flow too): the flow is replaced (303 to the new one).
  s.clock.advance(HOUR + 60_000);
  const expired = await submit(b.id, b.code);
  assert.equal(expired.status, 303);
  assert.match(expired.headers.get("location")!, /\/self-service\/verification\/flows\?id=/);
  const replacement = await bodyOf(await fetch(expired.headers.get("location")!));
  assert.deepEqual(globalMessageIds(replacement), [4070005]);
  assert.equal((await addressOf(s, identityId)).verified, false);

  // Five wrong codes, then even the right one is refused: the flow is replaced.
  const c = await start();
  for (let i = 0; i < 5; i++) {
    const wrong = String((Number(c.code) + 1 + i) % 1_000_000).padStart(6, "0");
    assert.deepEqual(globalMessageIds(await bodyOf(await submit(c.id, wrong))), [4070006]);
  }
  const blocked = await submit(c.id, c.code);
  assert.equal(blocked.status, 410);
  assert.equal((await addressOf(s, identityId)).verified, false);
});

test("a code expires with selfservice.methods.code.config.lifespan", async (t) => {
  const s = await enabledServer(t, { selfservice: { methods: { code: { config: { lifespan: "15m" } } } } });
  const { identityId } = await registered(s, "ada@example.com");
  const flow = await bodyOf(await fetch(url(s, "/self-service/verification/api")));
  await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", email: "ada@example.com" }),
  );
  const mail = await latestMail(s.store, "ada@example.com", "verification_code.valid");
  s.clock.advance(16 * 60_000);
  const res = await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", code: mail.code }),
  );
  assert.deepEqual(globalMessageIds(await bodyOf(res)), [4070006]);
  assert.equal((await addressOf(s, identityId)).verified, false);
});

test("resend: a new code replaces the previous one", async (t) => {
  const s = await enabledServer(t);
  const { identityId } = await registered(s, "ada@example.com");
  const flow = await bodyOf(await fetch(url(s, "/self-service/verification/api")));
  const send = () =>
    fetch(
      url(s, `/self-service/verification?flow=${flow.id}`),
      jsonBody({ method: "code", email: "ada@example.com" }),
    );
  await send();
  const first = (await latestMail(s.store, "ada@example.com", "verification_code.valid")).code!;
  await send();
  const second = (await latestMail(s.store, "ada@example.com", "verification_code.valid")).code!;
  if (first !== second) {
    const old = await fetch(
      url(s, `/self-service/verification?flow=${flow.id}`),
      jsonBody({ method: "code", code: first }),
    );
    assert.deepEqual(globalMessageIds(await bodyOf(old)), [4070006]);
  }
  const ok = await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", code: second }),
  );
  assert.equal((await bodyOf(ok)).state, "passed_challenge");
  assert.equal((await addressOf(s, identityId)).verified, true);
});

test("disabled: 400; unknown flow: 404; expired flow fetch: 410", async (t) => {
  const off = await enabledServer(t, { selfservice: { flows: { verification: { enabled: false } } } });
  const res = await fetch(url(off, "/self-service/verification/api"));
  assert.equal(res.status, 400);
  assertSchema("errorGeneric", await bodyOf(res));

  const s = await enabledServer(t);
  const missing = await fetch(
    url(s, `/self-service/verification?flow=${crypto.randomUUID()}`),
    jsonBody({ method: "code", email: "a@b.c" }),
  );
  assert.equal(missing.status, 404);
  const flow = await bodyOf(await fetch(url(s, "/self-service/verification/api")));
  s.clock.advance(2 * HOUR);
  const gone = await fetch(url(s, `/self-service/verification/flows?id=${flow.id}`), {
    headers: JSON_ACCEPT,
  });
  assert.equal(gone.status, 410);
  void PASSWORD;
});

test("concurrent wrong codes never get more tries than max_submissions", async (t) => {
  const s = await enabledServer(t);
  const { identityId } = await registered(s, "ada@example.com");
  const flow = await bodyOf(await fetch(url(s, "/self-service/verification/api")));
  await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", email: "ada@example.com" }),
  );
  const code = (await latestMail(s.store, "ada@example.com", "verification_code.valid")).code!;
  const submit = (c: string) =>
    fetch(url(s, `/self-service/verification?flow=${flow.id}`), {
      ...jsonBody({ method: "code", code: c }),
      redirect: "manual",
    });
  // Eight wrong codes at once, all reading the flow before any of them is counted.
  const n = 8;
  holdFlowReads(s.store, String(flow.id), n);
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) => submit(String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0"))),
  );
  const wrongCode = answers.filter((res) => res.status === 200).length;
  assert.equal(wrongCode, 5, "exactly max_submissions (5) were checked; the rest were too many");
  assert.deepEqual(
    answers.map((res) => res.status).filter((status) => status !== 200),
    [410, 410, 410],
  );
  // The right code afterwards is refused too.
  assert.equal((await submit(code)).status, 410);
  assert.equal((await addressOf(s, identityId)).verified, false);
});

test("verification and recovery keep a submission's transient_payload object on the flow", async (t) => {
  const s = await enabledServer(t);
  await registered(s, "ada@example.com");
  for (const kind of ["verification", "recovery"] as const) {
    const flow = await bodyOf(await fetch(url(s, `/self-service/${kind}/api`)));
    const sent = await fetch(
      url(s, `/self-service/${kind}?flow=${flow.id}`),
      jsonBody({ method: "code", email: "ada@example.com", transient_payload: { campaign: "spring" } }),
    );
    assert.equal(sent.status, 200, kind);
    const stored = await s.store.getFlow(String(flow.id));
    assert.deepEqual(stored?.internalContext?.transient_payload, { campaign: "spring" }, kind);
  }
});
