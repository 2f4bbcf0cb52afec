import assert from "node:assert/strict";
import { test } from "node:test";
import { runAccountMaintenance } from "../../server/account/maintenance.ts";
import { bodyOf, HOUR, type Json, PASSWORD, registerApi, server, url } from "../settings/helpers.ts";

// docs/account-features.md: export of one's own data, deletion after a grace period.

const ON = { account: { export: { enabled: true }, deletion: { enabled: true, grace_period: "48h" } } };

async function signIn(s: Awaited<ReturnType<typeof server>>, email = "ada@example.com"): Promise<string> {
  const flow = await bodyOf(await fetch(url(s, "/self-service/login/api")));
  const res = await fetch(url(s, `/self-service/login?flow=${flow.id}`), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ method: "password", identifier: email, password: PASSWORD }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).session_token;
}

function requestDeletion(
  s: Awaited<ReturnType<typeof server>>,
  token: string,
  body: unknown,
  type = "application/json",
) {
  return fetch(url(s, "/self-service/account/deletion"), {
    method: "POST",
    headers: { "content-type": type, "x-session-token": token },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function exists(s: Awaited<ReturnType<typeof server>>, id: string): Promise<boolean> {
  const res = await fetch(new URL(`admin/identities/${id}`, s.adminUrl));
  await res.body?.cancel();
  return res.status === 200;
}

test("export and deletion are off by default (404)", async (t) => {
  const s = await server(t);
  const ada = await registerApi(s);
  for (const [method, path] of [
    ["GET", "/self-service/account/export"],
    ["GET", "/self-service/account/deletion"],
  ] as const) {
    const res = await fetch(url(s, path), { method, headers: { "x-session-token": ada.token } });
    assert.equal(res.status, 404, path);
  }
  assert.equal((await requestDeletion(s, ada.token, { confirm: "delete my account" })).status, 404);
});

test("export: the person's identity, credentials without secrets, sessions and history", async (t) => {
  const s = await server(t, ON);
  const ada = await registerApi(s);
  const res = await fetch(url(s, "/self-service/account/export"), {
    headers: { "x-session-token": ada.token },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-disposition") ?? "", /attachment/);
  const text = await res.text();
  const data = JSON.parse(text) as Json;
  assert.equal((data.identity as Json).id, ada.identityId);
  assert.deepEqual(
    (data.credentials as Json[]).map((c) => [c.type, c.identifiers]),
    [["password", ["ada@example.com"]]],
  );
  assert.equal((data.sessions as Json[]).length, 1);
  assert.deepEqual(
    (data.history as Json[]).map((e) => e.type),
    ["registration"],
  );
  assert.equal(data.deletion, null);
  // No secret anywhere: no hash, no session token.
  assert.doesNotMatch(text, /\$argon2|\$2[aby]\$|hashed_password/);
  assert.ok(!text.includes(ada.token), "the session token is not exported");
  const anonymous = await fetch(url(s, "/self-service/account/export"));
  assert.equal(anonymous.status, 401);
});

test("deletion: confirmed, privileged, JSON only; sessions end; due after the grace period", async (t) => {
  const s = await server(t, ON);
  const ada = await registerApi(s);
  const bob = await registerApi(s, "bob@example.com");

  assert.equal((await requestDeletion(s, ada.token, {})).status, 400, "needs the confirmation");
  assert.equal(
    (await requestDeletion(s, ada.token, "confirm=delete+my+account", "application/x-www-form-urlencoded"))
      .status,
    400,
    "a form post (what a cross-site page can send) is refused",
  );
  s.clock.advance(2 * HOUR);
  const old = await requestDeletion(s, ada.token, { confirm: "delete my account" });
  assert.equal(old.status, 403);
  assert.equal(((await bodyOf(old)).error as Json).id, "session_refresh_required");
  const token = await signIn(s);

  const scheduled = await requestDeletion(s, token, { confirm: "delete my account" });
  assert.equal(scheduled.status, 202, await scheduled.clone().text());
  const status = await bodyOf(scheduled);
  assert.equal(status.scheduled, true);
  assert.equal(
    new Date(status.due_at as string).getTime() - new Date(status.requested_at as string).getTime(),
    48 * HOUR,
  );
  const whoami = await fetch(url(s, "/sessions/whoami"), { headers: { "x-session-token": token } });
  assert.equal(whoami.status, 401, "every session ended");

  s.clock.advance(47 * HOUR);
  assert.deepEqual(await runAccountMaintenance(s.app.deps).then((r) => r.accounts), 0, "not yet due");
  assert.ok(await exists(s, ada.identityId));
  s.clock.advance(2 * HOUR);
  assert.equal((await runAccountMaintenance(s.app.deps)).accounts, 1);
  assert.ok(!(await exists(s, ada.identityId)), "deleted after the grace period");
  assert.ok(await exists(s, bob.identityId), "nobody else");
});

test("deletion: signing in during the grace period cancels it", async (t) => {
  const s = await server(t, ON);
  const ada = await registerApi(s);
  const scheduled = await requestDeletion(s, ada.token, { confirm: "delete my account" });
  assert.equal(scheduled.status, 202);
  s.clock.advance(24 * HOUR);
  const token = await signIn(s);
  const status = await bodyOf(
    await fetch(url(s, "/self-service/account/deletion"), { headers: { "x-session-token": token } }),
  );
  assert.deepEqual(status, { scheduled: false });
  s.clock.advance(48 * HOUR);
  assert.equal((await runAccountMaintenance(s.app.deps)).accounts, 0);
  assert.ok(await exists(s, ada.identityId));
  const again = await signIn(s);
  const history = (await bodyOf(
    await fetch(url(s, "/self-service/account/history"), { headers: { "x-session-token": again } }),
  )) as unknown as Json[];
  assert.deepEqual(
    history.map((e) => e.type),
    ["login", "deletion_cancelled", "login", "deletion_requested", "registration"],
  );
});
