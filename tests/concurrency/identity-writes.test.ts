/**
 * No interleaving of two acknowledged identity writes leaves either one undone, and a settings
 * change commits only while its session and identity are still active (issue 8). Each race is
 * forced deterministically: one request is held at a chosen point (its password hash, or its
 * request body) while the other write runs to completion.
 */
import assert from "node:assert/strict";
import {
  apiFlow,
  call,
  canLogIn,
  createUser,
  heldPost,
  type Json,
  login,
  messageIds,
  NEW_PASSWORD,
  OLD_PASSWORD,
  onEachBackend,
  startServer,
  submitSettings,
} from "./harness.ts";

onEachBackend("a password change held at its hash does not revert a profile update", async (backend, t) => {
  const s = await startServer(t, backend);
  const user = await createUser(s);
  const token = await login(s, user.email);

  const gate = s.hasher.hold();
  const passwordChange = submitSettings(s, token, await apiFlow(s, "settings", token), {
    method: "password",
    password: NEW_PASSWORD,
  });
  await gate.reached;
  const profile = await submitSettings(s, token, await apiFlow(s, "settings", token), {
    method: "profile",
    traits: { email: user.email, name: { first: "Grace", last: "Hopper" } },
  });
  assert.equal(profile.status, 200, JSON.stringify(profile.body));
  gate.release();
  const changed = await passwordChange;
  assert.equal(changed.status, 200, JSON.stringify(changed.body));

  const stored = await s.store.getIdentity(user.id);
  assert.deepEqual(stored?.traits, { email: user.email, name: { first: "Grace", last: "Hopper" } });
  assert.equal(await canLogIn(s, user.email, NEW_PASSWORD), true);
  assert.equal(await canLogIn(s, user.email, OLD_PASSWORD), false);
});

onEachBackend("an identity disabled while a password change hashes stays disabled", async (backend, t) => {
  const s = await startServer(t, backend);
  const user = await createUser(s);
  const token = await login(s, user.email);

  const gate = s.hasher.hold();
  const passwordChange = submitSettings(s, token, await apiFlow(s, "settings", token), {
    method: "password",
    password: NEW_PASSWORD,
  });
  await gate.reached;
  const disabled = await call(s.adminUrl, "PATCH", `admin/identities/${user.id}`, {
    body: [{ op: "replace", path: "/state", value: "inactive" }],
  });
  assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
  const before = await s.store.getIdentity(user.id);
  gate.release();
  const refused = await passwordChange;

  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  assert.equal((refused.body.error as Json).id, "session_inactive");
  const after = await s.store.getIdentity(user.id);
  assert.equal(after?.state, "inactive");
  assert.deepEqual(after, before, "the refused change wrote nothing");
  const hash = after?.credentials.find((c) => c.type === "password")?.config.hashed_password as string;
  assert.equal(await s.hasher.verify(OLD_PASSWORD, hash), true);
});

onEachBackend(
  "a profile update still uploading when a password change revoked its session writes nothing",
  async (backend, t) => {
    const s = await startServer(t, backend, {
      selfservice: {
        flows: { settings: { after: { password: { hooks: [{ hook: "revoke_active_sessions" }] } } } },
      },
    });
    const user = await createUser(s);
    const changer = await login(s, user.email);
    const stale = await login(s, user.email);
    const staleFlow = await apiFlow(s, "settings", stale);

    // The stale request sends its headers and half its body, and loads its session and identity.
    const body = JSON.stringify({
      method: "profile",
      traits: { email: user.email, name: { first: "Mallory", last: "Stale" } },
    });
    let upload!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        upload = controller;
        controller.enqueue(new TextEncoder().encode(body.slice(0, 10)));
      },
    });
    const lookedUp = s.sessionLookedUp(stale);
    const pending = fetch(new URL(`self-service/settings?flow=${staleFlow}`, s.publicUrl), {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json", "x-session-token": stale },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await lookedUp;

    // Meanwhile the password is changed from another session, which revokes the stale one.
    const changed = await submitSettings(s, changer, await apiFlow(s, "settings", changer), {
      method: "password",
      password: NEW_PASSWORD,
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const before = await s.store.getIdentity(user.id);

    upload.enqueue(new TextEncoder().encode(body.slice(10)));
    upload.close();
    const answer = await pending;
    const answered = (await answer.json()) as Json;

    assert.equal(answer.status, 401, JSON.stringify(answered));
    assert.equal((answered.error as Json).id, "session_inactive");
    assert.deepEqual(
      await s.store.getIdentity(user.id),
      before,
      "the revoked session's update wrote nothing",
    );
    assert.equal(await canLogIn(s, user.email, OLD_PASSWORD), false);
    assert.equal(await canLogIn(s, user.email, NEW_PASSWORD), true);
  },
);

onEachBackend("50 concurrent admin patches of different metadata keys all survive", async (backend, t) => {
  const s = await startServer(t, backend);
  const user = await createUser(s, { metadata_public: {} });
  const keys = Array.from({ length: 50 }, (_, i) => `key${i}`);
  const answers = await Promise.all(
    keys.map((key, i) =>
      call(s.adminUrl, "PATCH", `admin/identities/${user.id}`, {
        body: [{ op: "add", path: `/metadata_public/${key}`, value: i }],
      }),
    ),
  );
  assert.deepEqual(
    answers.map((a) => a.status),
    keys.map(() => 200),
  );
  const stored = await s.store.getIdentity(user.id);
  assert.deepEqual(stored?.metadataPublic, Object.fromEntries(keys.map((key, i) => [key, i])));
  assert.equal(stored?.version, keys.length, "one version per acknowledged patch");
});

onEachBackend("50 concurrent profile updates: no acknowledged update is reverted", async (backend, t) => {
  const s = await startServer(t, backend);
  const user = await createUser(s);
  const token = await login(s, user.email);
  const flows = await Promise.all(Array.from({ length: 50 }, () => apiFlow(s, "settings", token)));
  const initial = await s.store.getIdentity(user.id);

  // All 50 load the identity (the form they were shown) before any of them may write.
  const allLoaded = s.sessionLookedUp(token, flows.length);
  const requests = flows.map((flow, i) =>
    heldPost(new URL(`self-service/settings?flow=${flow}`, s.publicUrl), token, {
      method: "profile",
      traits: { email: user.email, name: { first: `Writer${i}`, last: "Concurrent" } },
    }),
  );
  await allLoaded;
  for (const request of requests) request.finish();
  const answers = await Promise.all(
    requests.map(async (r) => {
      const response = await r.answer;
      return { status: response.status, body: (await response.json()) as Json };
    }),
  );

  // Invariant: an acknowledged update is only ever replaced by one decided on a state that
  // includes it. All 50 decided on the same state, so exactly one may be acknowledged: it is what
  // is stored, written once; every other answer is the "changed while open" form and wrote nothing.
  const acknowledged = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
  assert.equal(acknowledged.length, 1, JSON.stringify(answers.map((a) => a.status)));
  const winner = acknowledged[0]!;
  for (const answer of answers.filter((a) => a.status !== 200)) {
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.deepEqual(messageIds(answer.body), [4000001]);
    // The form shows the current values, not the refused ones.
    const traits = (answer.body.identity as Json).traits as Json;
    assert.equal((traits.name as Json).first, `Writer${winner}`);
  }
  const stored = await s.store.getIdentity(user.id);
  assert.equal((stored?.traits.name as Json | undefined)?.first, `Writer${winner}`);
  assert.equal(stored?.version, (initial?.version ?? 0) + 1);

  // A resubmission on the refreshed form succeeds.
  const loser = answers.findIndex((a) => a.status === 400);
  const again = await submitSettings(s, token, flows[loser]!, {
    method: "profile",
    traits: { email: user.email, name: { first: "Retried", last: "Concurrent" } },
  });
  assert.equal(again.status, 200, JSON.stringify(again.body));
});
