import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_REDACTION_TEXT } from "../../server/observe/redact.ts";
import { frontend, PASSWORD, registerNative, sdkError, traits } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { auditLines, jsonLoggedServer, type LogLine } from "./support.ts";

const events = (lines: LogLine[]) => auditLines(lines).map((l) => l.event);

async function nativeLogin(s: Parameters<typeof frontend>[0], identifier: string, password: string) {
  const api = frontend(s);
  const flow = await api.createNativeLoginFlow();
  return api.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: "password", identifier, password },
  });
}

test("sign-up, sign-in, failed sign-in, settings change and logout each write one audit line", async (t) => {
  const { s, lines } = await jsonLoggedServer(t);
  const { token, identityId } = await registerNative(s, "ada@example.com");
  const signUp = auditLines(lines).find((l) => l.event === "registration.succeeded");
  assert.ok(signUp, JSON.stringify(lines));
  assert.equal(signUp.identity_id, identityId);
  assert.equal(signUp.method, "password");
  assert.equal(signUp.level, "info");
  assert.equal(typeof signUp.request_id, "string", "audit lines carry the request's id");
  const requestLine = lines.find(
    (l) => l.msg === "completed handling request" && l.request_id === signUp.request_id,
  );
  assert.ok(requestLine, "the same id is on the request line");

  // A wrong password and an unknown identifier: the same event with the same fields, no reason.
  const wrong = await sdkError(nativeLogin(s, "ada@example.com", "not-the-password-1"));
  const unknown = await sdkError(nativeLogin(s, "nobody@example.com", PASSWORD));
  assert.equal(wrong.status, 400);
  assert.equal(unknown.status, 400);
  const failures = auditLines(lines).filter((l) => l.event === "login.failed");
  assert.equal(failures.length, 2);
  const shape = (l: LogLine) =>
    Object.keys(l)
      .filter((k) => !["time", "request_id", "flow_id"].includes(k))
      .sort();
  assert.deepEqual(shape(failures[0]!), shape(failures[1]!));
  assert.deepEqual(
    { ...failures[0], time: 0, request_id: 0, flow_id: 0 },
    { ...failures[1], time: 0, request_id: 0, flow_id: 0 },
    "nothing tells a wrong password from an unknown account",
  );
  assert.equal(failures[0]!.identifier, DEFAULT_REDACTION_TEXT);

  const signIn = await nativeLogin(s, "ada@example.com", PASSWORD);
  const success = auditLines(lines).find((l) => l.event === "login.succeeded");
  assert.ok(success);
  assert.equal(success.identity_id, identityId);
  assert.equal(success.session_id, signIn.session.id);
  assert.equal(success.method, "password");

  const api = frontend(s);
  const settings = await api.createNativeSettingsFlow({ xSessionToken: token });
  // (The SDK turns dates into Date objects, so its answer is not checked against the document here.)
  const updated = await api.updateSettingsFlow({
    flow: settings.id,
    xSessionToken: token,
    updateSettingsFlowBody: {
      method: "profile",
      traits: { ...traits("ada@example.com"), name: { first: "A", last: "L" } },
    },
  });
  assert.equal(updated.state, "success");
  const changed = auditLines(lines).find((l) => l.event === "settings.changed");
  assert.ok(changed);
  assert.equal(changed.method, "profile");
  assert.equal(changed.identity_id, identityId);

  await api.performNativeLogout({ performNativeLogoutBody: { session_token: signIn.session_token! } });
  const revoked = auditLines(lines).find((l) => l.event === "session.revoked");
  assert.ok(revoked);
  assert.equal(revoked.by, "logout");
  assert.equal(revoked.session_id, signIn.session.id);

  assert.deepEqual(events(lines), [
    "registration.succeeded",
    "login.failed",
    "login.failed",
    "login.succeeded",
    "settings.changed",
    "session.revoked",
  ]);
  const all = JSON.stringify(lines);
  assert.ok(!all.includes(PASSWORD), "no password in any line");
  assert.ok(!all.includes(token), "no session token in any line");
  assert.ok(!all.includes("ada@example.com"), "identifiers are redacted by default");
});

test("identity admin changes and admin session revocation are audited", async (t) => {
  const { s, lines } = await jsonLoggedServer(t);
  const { sessionId } = await registerNative(s, "grace@example.com");
  const requestIds: string[] = [];
  const admin = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(`admin/${path}`, s.adminUrl), {
      ...init,
      headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
    });
    requestIds.push(res.headers.get("x-request-id")!);
    return res;
  };
  const created = await admin("identities", {
    method: "POST",
    body: JSON.stringify({ schema_id: "default", traits: traits("linus@example.com") }),
  });
  assert.equal(created.status, 201);
  const body = (await created.json()) as { id: string };
  assertSchema("identity", body);
  const patched = await admin(`identities/${body.id}`, {
    method: "PATCH",
    body: JSON.stringify([{ op: "replace", path: "/metadata_public", value: { tier: "gold" } }]),
  });
  assert.equal(patched.status, 200);
  assert.equal((await admin(`sessions/${sessionId}`, { method: "DELETE" })).status, 204);
  assert.equal((await admin(`identities/${body.id}`, { method: "DELETE" })).status, 204);

  const audit = auditLines(lines).filter((l) => l.by === "admin");
  assert.deepEqual(
    audit.map((l) => [l.event, l.identity_id ?? l.session_id]),
    [
      ["identity.created", body.id],
      ["identity.patched", body.id],
      ["session.revoked", sessionId],
      ["identity.deleted", body.id],
    ],
  );
  // Each admin line carries the id of the request that made the change, as public lines do.
  assert.deepEqual(
    audit.map((l) => l.request_id),
    requestIds,
  );

  // So does a native app's logout with its token.
  const { token } = await registerNative(s, "ada@example.com");
  const logout = await fetch(new URL("self-service/logout/api", s.publicUrl), {
    method: "DELETE",
    headers: { "content-type": "application/json", "x-request-id": "logout-req-1" },
    body: JSON.stringify({ session_token: token }),
  });
  assert.equal(logout.status, 204);
  const loggedOut = auditLines(lines).find((l) => l.by === "logout");
  assert.equal(loggedOut?.request_id, "logout-req-1");
});

test("with log.leak_sensitive_values the identifier of a failed sign-in is shown", async (t) => {
  const { s, lines } = await jsonLoggedServer(t, { log: { leak_sensitive_values: true } });
  await sdkError(nativeLogin(s, "who@example.com", "whatever-password-9"));
  const failed = auditLines(lines).find((l) => l.event === "login.failed");
  assert.equal(failed?.identifier, "who@example.com");
});

test("log.redaction_text replaces the redaction text", async (t) => {
  const { s, lines } = await jsonLoggedServer(t, { log: { redaction_text: "[hidden]" } });
  await sdkError(nativeLogin(s, "who@example.com", "whatever-password-9"));
  assert.equal(auditLines(lines).find((l) => l.event === "login.failed")?.identifier, "[hidden]");
});
