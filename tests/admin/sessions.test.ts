import assert from "node:assert/strict";
import { test } from "node:test";
import {
  adminFetch,
  adminServer,
  assertErrorBody,
  loginNative,
  nextPageToken,
  PASSWORD,
  person,
  sdkError,
  wire,
  wireList,
} from "./support.ts";

/** Admin session APIs: per identity (`/admin/identities/{id}/sessions`) and global (`/admin/sessions`). */

const HOUR = 60 * 60 * 1000;

async function signedInTwice(t: Parameters<typeof adminServer>[0]) {
  const fixture = await adminServer(t);
  const identity = await fixture.api.createIdentity({
    createIdentityBody: {
      ...person("ada@example.org"),
      credentials: { password: { config: { password: PASSWORD } } },
    },
  });
  const tokens: string[] = [];
  for (let i = 0; i < 2; i++) {
    const login = await loginNative(fixture.server, "ada@example.org", PASSWORD);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    tokens.push(String(login.body.session_token));
    fixture.server.clock.advance(1000);
  }
  return { ...fixture, identity, tokens };
}

async function whoamiStatus(server: { publicUrl: string }, token: string): Promise<number> {
  const res = await fetch(new URL("sessions/whoami", server.publicUrl), {
    headers: { "x-session-token": token },
  });
  await res.body?.cancel();
  return res.status;
}

test("identity sessions: listed with identity and devices, active filter, deleted all at once", async (t) => {
  const { server, api, identity, tokens } = await signedInTwice(t);
  const listed = await wireList(await api.listIdentitySessionsRaw({ id: identity.id }), "session");
  assert.equal(listed.value.length, 2);
  for (const session of listed.value) {
    assert.equal(session.identity?.id, identity.id);
    assert.equal(session.active, true);
  }

  const [one] = listed.value;
  await api.disableSession({ id: one!.id });
  const active = await api.listIdentitySessions({ id: identity.id, active: true });
  const inactive = await api.listIdentitySessions({ id: identity.id, active: false });
  assert.equal(active.length, 1);
  assert.deepEqual(
    inactive.map((s) => s.id),
    [one!.id],
  );

  const res = await api.deleteIdentitySessionsRaw({ id: identity.id });
  assert.equal(res.raw.status, 204);
  assert.deepEqual(await api.listIdentitySessions({ id: identity.id }), []);
  for (const token of tokens) assert.equal(await whoamiStatus(server, token), 401);
});

test("list sessions: keyset pages, expand=identity only when asked", async (t) => {
  const { api, identity } = await signedInTwice(t);
  const first = await wireList(await api.listSessionsRaw({ pageSize: 1 }), "session");
  assert.equal(first.value.length, 1);
  assert.equal("identity" in first.json[0]!, false, "identity is not expanded by default");
  const token = nextPageToken(first.raw.headers.get("link"));
  assert.ok(token, "a second page is announced");
  const second = await wireList(await api.listSessionsRaw({ pageSize: 1, pageToken: token }), "session");
  assert.equal(second.value.length, 1);
  assert.notEqual(second.value[0]!.id, first.value[0]!.id);
  assert.equal(nextPageToken(second.raw.headers.get("link")), undefined);

  const expanded = await wireList(await api.listSessionsRaw({ expand: ["identity"] }), "session");
  for (const session of expanded.value) assert.equal(session.identity?.id, identity.id);
});

test("get, extend and disable one session", async (t) => {
  const { server, api, tokens } = await signedInTwice(t);
  const [session] = await api.listSessions({});
  const got = await wire(
    await api.getSessionRaw({ id: session!.id, expand: ["identity", "devices"] }),
    "session",
  );
  assert.equal(got.value.id, session!.id);
  assert.ok(got.value.identity);
  assert.ok(Array.isArray(got.value.devices));

  server.clock.advance(3 * HOUR);
  const extended = await wire(await api.extendSessionRaw({ id: session!.id }), "session");
  assert.equal(extended.json.expires_at, new Date(server.clock.now().getTime() + 24 * HOUR).toISOString());

  const disabled = await api.disableSessionRaw({ id: session!.id });
  assert.equal(disabled.raw.status, 204);
  const after = await api.getSession({ id: session!.id });
  assert.equal(after.active, false);
  await sdkError(api.extendSession({ id: session!.id }), 404);
  const revokedTokens = await Promise.all(tokens.map((token) => whoamiStatus(server, token)));
  assert.deepEqual([...revokedTokens].sort(), [200, 401]);
});

test("active=true hides expired sessions; active=false finds them", async (t) => {
  const { server, api } = await signedInTwice(t);
  server.clock.advance(25 * HOUR);
  assert.deepEqual(await api.listSessions({ active: true }), []);
  assert.equal((await api.listSessions({ active: false })).length, 2);
  const byPage = await api.listSessionsRaw({ active: false, pageSize: 1 });
  assert.equal((await byPage.value()).length, 1);
  assert.ok(nextPageToken(byPage.raw.headers.get("link")));
});

test("session ids: malformed is 400, unknown is 404, bad filters are 400", async (t) => {
  const { server, api } = await adminServer(t);
  await sdkError(api.getSession({ id: "not-a-uuid" }), 400);
  const unknown = await sdkError(api.getSession({ id: crypto.randomUUID() }), 404);
  assert.equal(unknown.error.message, "Unable to locate the resource");
  await sdkError(api.disableSession({ id: crypto.randomUUID() }), 404);
  await sdkError(api.extendSession({ id: crypto.randomUUID() }), 404);
  for (const query of ["active=maybe", "expand=everything", "page_size=x", "page_token=nope"]) {
    assertErrorBody(await adminFetch(server, `admin/sessions?${query}`), 400);
  }
});
