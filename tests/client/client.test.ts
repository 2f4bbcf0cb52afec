/**
 * The package's client (client/src) against a real server, in Node: cookie mode with a cookie jar
 * standing in for the browser, token mode as a native app. Partial profile changes keep the other
 * traits, the CSRF token is taken from the flow, results and errors are typed and tagged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createTesseraClient, isTesseraError, mergeTraits, TesseraError } from "../../client/src/index.ts";
import { CookieJar } from "../helpers/http.ts";
import { latestMail } from "../helpers/outbox.ts";
import { serverFor } from "../helpers/server.ts";

type Traits = { email: string; name?: { first?: string; last?: string } };
const PASSWORD = "Tessera-correct-horse-7421";
const MINUTE = 60_000;

test("mergeTraits: objects merge key by key, arrays and values replace, undefined removes", () => {
  const current = { email: "a@b.co", name: { first: "Ada", last: "Byron" }, tags: ["x", "y"] };
  assert.deepEqual(mergeTraits(current, { name: { first: "Augusta" }, tags: ["z"] }), {
    email: "a@b.co",
    name: { first: "Augusta", last: "Byron" },
    tags: ["z"],
  });
  assert.deepEqual(mergeTraits(current, { name: undefined }), { email: "a@b.co", tags: ["x", "y"] });
  assert.deepEqual(current.name, { first: "Ada", last: "Byron" }, "the input is not changed");
});

test("cookie mode: sign up, partial profile change, refresh required, typed errors, sign out", async (t) => {
  const s = await serverFor(t, {
    selfservice: { flows: { settings: { privileged_session_max_age: "15m" } } },
  });
  const jar = new CookieJar();
  const tessera = createTesseraClient<Traits>({ url: s.publicUrl, session: "cookie", fetch: jar.fetch });
  assert.equal(tessera.flowType, "browser");
  assert.equal(await tessera.session.whoami(), null, "no session yet: null, not an error");

  const registration = await tessera.registration.create();
  // A problem is a `form` result with the messages by field.
  const invalid = await tessera.registration.submit(registration, {
    traits: { email: "not-an-email" },
    password: PASSWORD,
  });
  assert.equal(invalid.status, "form");
  assert.ok(invalid.status === "form" && invalid.messages.byField["traits.email"]?.length);
  const again = await tessera.registration.create();
  const done = await tessera.registration.submit(again, {
    traits: { email: "ada@example.com", name: { first: "Ada", last: "Byron" } },
    password: PASSWORD,
  });
  assert.equal(done.status, "success");
  assert.equal(done.status === "success" && done.sessionToken, undefined, "browser flows get a cookie");
  assert.equal((await tessera.session.whoami())?.identity.traits.email, "ada@example.com");

  // The CSRF token came from the flow (browser flows refuse a submission without it).
  const flow = await tessera.settings.create();
  // A dry run answers with the flow and its messages and writes nothing.
  const checked = await tessera.settings.updateProfile(flow, { email: "not-an-email" }, { dryRun: true });
  assert.ok(checked.status === "form" && checked.messages.byField["traits.email"]?.length);
  const valid = await tessera.settings.updateProfile(flow, { name: { first: "Dry" } }, { dryRun: true });
  assert.ok(valid.status === "form" && valid.messages.global.some((m) => m.id === 1900001));
  assert.equal((await tessera.session.whoami())?.identity.traits.name?.first, "Ada", "nothing written");
  const saved = await tessera.settings.updateProfile(flow, { name: { first: "Augusta" } });
  assert.equal(saved.status, "success");
  assert.ok(saved.status === "success");
  assert.deepEqual(saved.flow.identity.traits, {
    email: "ada@example.com",
    name: { first: "Augusta", last: "Byron" },
  });

  // A password change on an old session: refreshRequired with where to send the browser.
  s.clock.advance(20 * MINUTE);
  const refresh = await tessera.settings.changePassword(saved.flow, "Another-battery-staple-9153");
  assert.equal(refresh.status, "refreshRequired");
  assert.ok(refresh.status === "refreshRequired");
  assert.match(refresh.redirectTo, /\/self-service\/login\/browser\?refresh=true/);

  // Errors are TesseraErrors keyed by Kratos error id.
  const missing = await tessera.settings.get("00000000-0000-4000-8000-000000000000").catch((e: unknown) => e);
  assert.ok(missing instanceof TesseraError);
  assert.equal(missing.status, 404);
  assert.equal(missing.envelope.error.code, 404);

  await tessera.session.logout();
  assert.equal(await tessera.session.whoami(), null);
  const signedOut = await tessera.settings.create().catch((e: unknown) => e);
  assert.ok(isTesseraError(signedOut, "session_inactive"), String(signedOut));
  assert.equal(signedOut.status, 401);
});

test("token mode: api flows, the token from login, no cookies", async (t) => {
  const s = await serverFor(t);
  let token: string | undefined;
  const sent: string[] = [];
  const native = createTesseraClient<Traits>({
    url: s.publicUrl,
    session: { token: () => token },
    fetch: (input, init) => {
      sent.push(new Headers(init?.headers as HeadersInit).get("x-session-token") ?? "-");
      return fetch(input as string, init as RequestInit);
    },
  });
  assert.equal(native.flowType, "api");
  const registration = await native.registration.create();
  assert.equal(registration.type, "api");
  const done = await native.registration.submit(registration, {
    traits: { email: "grace@example.com", name: { first: "Grace", last: "Hopper" } },
    password: PASSWORD,
  });
  assert.ok(done.status === "success" && done.sessionToken, "api registration returns a token");
  const login = await native.login.create();
  const signedIn = await native.login.submit(login, { identifier: "grace@example.com", password: PASSWORD });
  assert.ok(signedIn.status === "success" && signedIn.sessionToken);
  token = signedIn.sessionToken;
  const flow = await native.settings.create();
  const result = await native.settings.updateProfile(flow, { name: { last: "Murray Hopper" } });
  assert.ok(result.status === "success");
  assert.deepEqual(result.flow.identity.traits.name, { first: "Grace", last: "Murray Hopper" });
  assert.equal(sent.at(-1), token, "the token travels as X-Session-Token");
  await native.session.logout();
  assert.equal(await native.session.whoami(), null, "the token is revoked");
});

test("verification, recovery and account helpers: method and CSRF filled in, typed results", async (t) => {
  const s = await serverFor(t, {
    selfservice: {
      flows: {
        verification: { enabled: true },
        recovery: { enabled: true },
        settings: { privileged_session_max_age: "15m" },
      },
    },
    feature_flags: { use_continue_with_transitions: true },
    account: { export: { enabled: true }, deletion: { enabled: true, grace_period: "48h" } },
  });
  let token: string | undefined;
  const native = createTesseraClient<Traits>({ url: s.publicUrl, session: { token: () => token } });
  const registration = await native.registration.create();
  const done = await native.registration.submit(registration, {
    traits: { email: "lin@example.com" },
    password: PASSWORD,
  });
  assert.ok(done.status === "success" && done.sessionToken);
  token = done.sessionToken;
  // The registration's own verification mail is then older than the one asked for next.
  s.clock.advance(1000);

  const verification = await native.verification.create();
  assert.equal(verification.type, "api");
  const sent = await native.verification.sendCode(verification, "lin@example.com");
  assert.equal(sent.flow.state, "sent_email");
  const code = (await latestMail(s.store, "lin@example.com")).code!;
  const wrong = await native.verification.useCode(sent.flow, code === "000000" ? "111111" : "000000");
  const wrongMessages = [...wrong.messages.global, ...Object.values(wrong.messages.byField).flat()];
  assert.ok(
    wrongMessages.some((m) => m.type === "error"),
    "a wrong code is a form with a message",
  );
  const verified = await native.verification.useCode(sent.flow, code);
  assert.equal(verified.flow.state, "passed_challenge");
  assert.equal((await native.session.whoami())?.identity.verifiable_addresses?.[0]?.verified, true);

  // Recovery is for the signed-out: a native app recovers without its token.
  token = undefined;
  s.clock.advance(1000);
  const recovery = await native.recovery.create();
  const asked = await native.recovery.sendCode(recovery, "lin@example.com");
  assert.equal(asked.status, "form");
  const recoveryCode = (await latestMail(s.store, "lin@example.com")).code!;
  const recovered = await native.recovery.useCode(asked.flow, recoveryCode);
  assert.ok(recovered.status === "success", JSON.stringify(recovered));
  assert.ok(recovered.sessionToken, "api recovery hands over a session token");
  assert.ok(recovered.settingsFlowId, "and the settings flow to set a new password in");
  token = recovered.sessionToken;
  const settings = await native.settings.get(recovered.settingsFlowId);
  const changed = await native.settings.changePassword(settings, "Recovered-battery-staple-3319");
  assert.equal(changed.status, "success", "the recovered session is privileged");

  const history = await native.account.history({ pageSize: 50 });
  assert.ok(history.some((e) => e.type === "registration"));
  assert.ok(history.some((e) => e.type === "settings"));
  const exported = await native.account.export();
  assert.equal(exported.identity.traits.email, "lin@example.com");
  assert.equal(exported.deletion, null);
  assert.deepEqual(await native.account.deletionStatus(), { scheduled: false });

  s.clock.advance(20 * MINUTE);
  const stale = await native.account.requestDeletion();
  assert.equal(stale.status, "refreshRequired", "deleting needs a fresh sign-in");
  const login = await native.login.create({ refresh: true });
  const fresh = await native.login.submit(login, {
    identifier: "lin@example.com",
    password: "Recovered-battery-staple-3319",
  });
  assert.ok(fresh.status === "success" && fresh.sessionToken);
  token = fresh.sessionToken;
  const scheduled = await native.account.requestDeletion();
  assert.ok(scheduled.status === "scheduled");
  assert.equal(scheduled.deletion.scheduled, true);
  assert.equal(await native.session.whoami(), null, "every session ended");
});

test("the session mode must be chosen", () => {
  assert.throws(
    () => createTesseraClient({ url: "http://127.0.0.1:1/", session: undefined as unknown as "cookie" }),
    /`session` must be "cookie" \(browsers\) or \{ token \}/,
  );
});
