/**
 * Verification and recovery in the built-in UI, in Chromium, as a person goes through them: sign up,
 * verify the address with the mailed code, sign out, "Forgot password?", the mailed recovery code, a
 * new password in the settings page the recovery opens (no old password asked), and sign in with it.
 * Codes are read from the courier queue (tests/helpers/outbox.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { latestMail } from "../helpers/outbox.ts";
import { startTestServer } from "../helpers/server.ts";
import {
  launchBrowser,
  NEW_PASSWORD,
  openPage,
  PASSWORD,
  Screenshots,
  see,
  steps,
  TEST_TIMEOUT,
} from "./support.ts";

test("built-in UI: sign up → verify by code → sign out → Forgot password? → code → new password → sign in", {
  timeout: TEST_TIMEOUT,
}, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const s = await startTestServer({
    selfservice: {
      flows: {
        verification: { enabled: true },
        recovery: { enabled: true },
        registration: {
          after: { password: { hooks: [{ hook: "session" }, { hook: "show_verification_ui" }] } },
        },
      },
    },
  });
  t.after(() => s.close());
  const { page, errors } = await openPage(browser);
  const shots = new Screenshots("verify-recover");
  const url = (path: string) => new URL(path, s.publicUrl).toString();
  const email = "ada@example.com";
  const passwordForm = page.locator('form:has(button[name="method"][value="password"])');

  await steps(page, shots, async () => {
    await page.goto(url("ui/registration"));
    await page.getByLabel("E-Mail").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign up" }).click();

    // The sign-up continues on the verification page; the code is already on its way.
    await see.url(page, /\/ui\/verification\?flow=/);
    await see.visible(page.locator('[data-message-id="1080003"]'));
    await shots.take(page, "verification-code-sent");
    const code = (await latestMail(s.store, email, "verification_code.valid")).code!;
    await page.getByLabel("Verification code").fill(code);
    await page.getByRole("button", { name: "Continue" }).click();
    await see.visible(page.locator('[data-message-id="1080002"]'));
    await shots.take(page, "verified");
    const identity = (await s.store.listIdentities({ pageSize: 10 })).identities[0]!;
    assert.equal(identity.verifiableAddresses[0]!.verified, true);

    // Sign out.
    await page.goto(url("ui/welcome"));
    await page.getByRole("link", { name: "Sign out" }).click();
    await page.waitForURL((u) => !u.pathname.includes("logout"));

    // Forgot password?
    s.clock.advance(1000);
    await page.goto(url("ui/login"));
    await see.url(page, /\/ui\/login\?flow=/);
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await see.url(page, /\/ui\/recovery\?flow=/);
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Continue" }).click();
    await see.visible(page.locator('[data-message-id="1060003"]'));
    await shots.take(page, "recovery-code-sent");
    const recoveryCode = (await latestMail(s.store, email, "recovery_code.valid")).code!;
    await page.getByLabel("Recovery code").fill(recoveryCode);
    await page.getByRole("button", { name: "Continue" }).click();

    // Signed in with a privileged session: a new password without the old one.
    await see.url(page, /\/ui\/settings\?flow=/);
    await see.visible(page.locator('[data-message-id="1060001"]'));
    await shots.take(page, "recovered-settings");
    await passwordForm.getByLabel("Password").fill(NEW_PASSWORD);
    await passwordForm.getByRole("button", { name: "Save" }).click();
    await see.visible(page.getByText("Your changes have been saved!"));

    await page.getByRole("link", { name: "Sign out" }).click();
    await page.waitForURL((u) => !u.pathname.startsWith("/ui/settings") && !u.pathname.includes("logout"));
    await page.goto(url("ui/login"));
    await page.locator('input[name="identifier"]').fill(email);
    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await see.url(page, /\/ui\/welcome/);
    await see.text(page.getByTestId("identity-email"), email);
    await shots.take(page, "signed-in-with-new-password");
  });
  assert.deepEqual(errors, [], "no script errors on the page");
});
