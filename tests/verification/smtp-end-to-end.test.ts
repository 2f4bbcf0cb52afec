import assert from "node:assert/strict";
import { test } from "node:test";
import { CourierDispatcher } from "../../server/courier/dispatcher.ts";
import { silentLogger } from "../../server/logger.ts";
import { bodyOf, jsonBody, PASSWORD, url } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { startSmtpServer } from "../helpers/smtp.ts";
import { enabledServer, registered } from "./support.ts";

// Issue 10's whole path over a real SMTP listener: the flows queue, the dispatcher delivers, the
// person reads the code from the mail that arrived.

const NEW_PASSWORD = "Another-correct-horse-9981";

async function mailedServer(t: { after(fn: () => Promise<void> | void): void }) {
  const smtp = await startSmtpServer(t);
  const s = await enabledServer(t, {
    courier: { smtp: { connection_uri: smtp.connectionUri, from_address: "accounts@example.org" } },
    feature_flags: { use_continue_with_transitions: true },
  });
  const dispatcher = new CourierDispatcher({
    store: s.store,
    clock: s.clock,
    logger: silentLogger,
    courier: s.app.deps.config.raw.courier,
  });
  t.after(() => dispatcher.stop());
  /** Delivers what is queued, then returns the six-digit code of the newest mail to `to`. */
  const codeFor = async (to: string, subject: RegExp) => {
    assert.ok((await dispatcher.drain()).sent >= 1, "the dispatcher sent the queued mail");
    let mail = await smtp.waitForMail(to);
    // Skip mails sent earlier to the same address (the registration's own verification mail).
    while (!subject.test(mail.subject)) mail = await smtp.waitForMail(to);
    assert.equal(mail.envelope.from, "accounts@example.org");
    const code = /(?:^|\s)(\d{6})(?:\s|$)/m.exec(mail.text)?.[1];
    assert.ok(code, `a code in: ${mail.text}`);
    return code;
  };
  return { s, smtp, codeFor };
}

test("verification by a code that arrived over SMTP", async (t) => {
  const { s, codeFor } = await mailedServer(t);
  const { identityId } = await registered(s, "ada@example.com");
  // The registration already mailed a code (show_verification_ui); this test asks for its own.
  await codeFor("ada@example.com", /verify/i);
  const flow = await bodyOf(await fetch(url(s, "/self-service/verification/api")));
  const sent = await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", email: "ada@example.com" }),
  );
  assert.equal(sent.status, 200);
  const code = await codeFor("ada@example.com", /verify/i);
  const done = await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "code", code }),
  );
  assert.equal(done.status, 200, await done.clone().text());
  const body = await bodyOf(done);
  assertSchema("verificationFlow", body);
  assert.equal(body.state, "passed_challenge");
  const address = (await s.store.getIdentity(identityId))!.verifiableAddresses[0]!;
  assert.equal(address.verified, true);
});

test("recovery by a code that arrived over SMTP, then a new password signs in", async (t) => {
  const { s, codeFor } = await mailedServer(t);
  await registered(s, "ada@example.com");
  const flow = await bodyOf(await fetch(url(s, "/self-service/recovery/api")));
  const sent = await fetch(
    url(s, `/self-service/recovery?flow=${flow.id}`),
    jsonBody({ method: "code", email: "ada@example.com" }),
  );
  assert.equal(sent.status, 200);
  const code = await codeFor("ada@example.com", /recover/i);
  const done = await fetch(
    url(s, `/self-service/recovery?flow=${flow.id}`),
    jsonBody({ method: "code", code }),
  );
  assert.equal(done.status, 200, await done.clone().text());
  const body = await bodyOf(done);
  const cw = body.continue_with as { action: string; ory_session_token?: string; flow?: { id: string } }[];
  const token = cw.find((c) => c.action === "set_ory_session_token")?.ory_session_token;
  const settingsId = cw.find((c) => c.action === "show_settings_ui")?.flow?.id;
  assert.ok(token && settingsId);
  const changed = await fetch(
    url(s, `/self-service/settings?flow=${settingsId}`),
    jsonBody({ method: "password", password: NEW_PASSWORD }, { "x-session-token": token }),
  );
  assert.equal(changed.status, 200, await changed.clone().text());

  const login = await bodyOf(await fetch(url(s, "/self-service/login/api")));
  const old = await fetch(
    url(s, `/self-service/login?flow=${login.id}`),
    jsonBody({ method: "password", identifier: "ada@example.com", password: PASSWORD }),
  );
  assert.equal(old.status, 400, "the old password no longer works");
  const login2 = await bodyOf(await fetch(url(s, "/self-service/login/api")));
  const fresh = await fetch(
    url(s, `/self-service/login?flow=${login2.id}`),
    jsonBody({ method: "password", identifier: "ada@example.com", password: NEW_PASSWORD }),
  );
  assert.equal(fresh.status, 200);
});
