/**
 * A registration flow that created an identity and a login flow that issued a session cannot be
 * used again; Kratos answers such a flow as one no strategy can handle (400, the flow with
 * 4010003 / 4010002). Settings flows stay re-submittable.
 */
import assert from "node:assert/strict";
import {
  apiFlow,
  call,
  createUser,
  type Json,
  login,
  messageIds,
  OLD_PASSWORD,
  onEachBackend,
  type Server,
  startServer,
  submitLogin,
  submitSettings,
  uniqueEmail,
} from "./harness.ts";

function register(s: Server, flowId: string, email: string) {
  return call(s.publicUrl, "POST", `self-service/registration?flow=${flowId}`, {
    body: { method: "password", traits: { email }, password: OLD_PASSWORD },
  });
}

async function identityOf(s: Server, email: string): Promise<Json | undefined> {
  return s.store.findIdentityByCredentialIdentifier("password", email) as Promise<Json | undefined>;
}

onEachBackend("a completed registration flow cannot create a second identity", async (backend, t) => {
  const s = await startServer(t, backend);
  const flow = await apiFlow(s, "registration");
  const first = await register(s, flow, uniqueEmail("first"));
  assert.equal(first.status, 200, JSON.stringify(first.body));

  const second = uniqueEmail("second");
  const replay = await register(s, flow, second);
  assert.equal(replay.status, 400, JSON.stringify(replay.body));
  assert.deepEqual(messageIds(replay.body), [4010003]);
  assert.equal(await identityOf(s, second), undefined);
});

onEachBackend(
  "two concurrent submissions of one registration flow create one identity",
  async (backend, t) => {
    const s = await startServer(t, backend);
    const flow = await apiFlow(s, "registration");
    const emails = [uniqueEmail("a"), uniqueEmail("b")];
    // Both pass every check and hash before either creates.
    const gate = s.hasher.hold(2);
    const answers = Promise.all(emails.map((email) => register(s, flow, email)));
    await gate.reached;
    gate.release();
    const [a, b] = await answers;

    assert.deepEqual([a!.status, b!.status].sort(), [200, 400]);
    const refused = a!.status === 400 ? a! : b!;
    assert.deepEqual(messageIds(refused.body), [4010003]);
    const created = await Promise.all(emails.map((email) => identityOf(s, email)));
    assert.equal(created.filter((i) => i !== undefined).length, 1);
  },
);

onEachBackend("a registration refused as a duplicate leaves the flow usable", async (backend, t) => {
  const s = await startServer(t, backend);
  const taken = await createUser(s);
  const flow = await apiFlow(s, "registration");
  const duplicate = await register(s, flow, taken.email);
  assert.equal(duplicate.status, 400);
  assert.deepEqual(messageIds(duplicate.body), [4000007]);
  const fresh = await register(s, flow, uniqueEmail("fresh"));
  assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
});

onEachBackend("a login flow that issued a session cannot issue another", async (backend, t) => {
  const s = await startServer(t, backend);
  const user = await createUser(s);
  const flow = await apiFlow(s, "login");
  const first = await submitLogin(s, flow, user.email, OLD_PASSWORD);
  assert.equal(first.status, 200, JSON.stringify(first.body));

  const replay = await submitLogin(s, flow, user.email, OLD_PASSWORD);
  assert.equal(replay.status, 400, JSON.stringify(replay.body));
  assert.deepEqual(messageIds(replay.body), [4010002]);
  assert.equal((await s.store.listSessions(user.id)).length, 1);

  const concurrentFlow = await apiFlow(s, "login");
  const both = await Promise.all([1, 2].map(() => submitLogin(s, concurrentFlow, user.email, OLD_PASSWORD)));
  assert.deepEqual(both.map((a) => a.status).sort(), [200, 400]);
  assert.equal((await s.store.listSessions(user.id)).length, 2);
});

onEachBackend("a settings flow stays re-submittable", async (backend, t) => {
  const s = await startServer(t, backend);
  const user = await createUser(s);
  const token = await login(s, user.email);
  const flow = await apiFlow(s, "settings", token);
  for (const first of ["One", "Two"]) {
    const answer = await submitSettings(s, token, flow, {
      method: "profile",
      traits: { email: user.email, name: { first } },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }
});
