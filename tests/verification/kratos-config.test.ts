import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { readConfigFile } from "../../server/config/load.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import { CookieJar, csrfOf, frontend, PASSWORD, traits } from "../helpers/frontend.ts";
import { latestMail } from "../helpers/outbox.ts";
import { startTestServer } from "../helpers/server.ts";

const fixture = (p: string) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));

/**
 * Kratos's quickstart configuration (contrib/quickstart/kratos/email-password/kratos.yml: code
 * method, verification and recovery on, SMTP courier, continue_with transitions) loads as it is;
 * the test only points the schema at a file that exists here and lets the harness pick the ports
 * and the database.
 */
test("Kratos's quickstart config with verification and recovery works with the Ory SDK", async (t) => {
  const raw = readConfigFile(fixture("kratos-configs/quickstart-email-password.kratos.yml")) as Record<
    string,
    unknown
  >;
  const identity = raw.identity as { schemas: { url: string }[] };
  identity.schemas[0]!.url =
    `file://${fixture("identity-schemas/quickstart-email-password.identity.schema.json")}`;
  delete raw.dsn;
  const s = await startTestServer(raw as ConfigInput);
  t.after(() => s.close());

  const jar = new CookieJar();
  const api = frontend(s, jar);
  const reg = await api.createBrowserRegistrationFlow();
  const done = await api.updateRegistrationFlow({
    flow: reg.id,
    updateRegistrationFlowBody: {
      method: "password",
      password: PASSWORD,
      traits: traits(),
      csrf_token: csrfOf(reg as never),
    },
  });
  const show = done.continue_with?.find((c) => c.action === "show_verification_ui");
  assert.ok(show && "flow" in show);
  const code = (await latestMail(s.store, "ada@example.com", "verification_code.valid")).code!;
  const vf = await api.getVerificationFlow({ id: show.flow.id });
  const verified = await api.updateVerificationFlow({
    flow: vf.id,
    updateVerificationFlowBody: { method: "code", code, csrf_token: csrfOf(vf as never) },
  });
  assert.equal(verified.state, "passed_challenge");

  // Recovery, signed out, in a fresh browser.
  s.clock.advance(1000);
  const other = frontend(s, new CookieJar());
  const rf = await other.createBrowserRecoveryFlow();
  const sent = await other.updateRecoveryFlow({
    flow: rf.id,
    updateRecoveryFlowBody: { method: "code", email: "ada@example.com", csrf_token: csrfOf(rf as never) },
  });
  const rcode = (await latestMail(s.store, "ada@example.com", "recovery_code.valid")).code!;
  const recovered = await other.updateRecoveryFlow({
    flow: rf.id,
    updateRecoveryFlowBody: { method: "code", code: rcode, csrf_token: csrfOf(sent as never) },
  });
  const settings = recovered.continue_with?.find((c) => c.action === "show_settings_ui");
  assert.ok(settings && "flow" in settings);
  assert.match(String(settings.flow.url), /^http:\/\/127\.0\.0\.1:4455\/settings\?flow=/);
});
