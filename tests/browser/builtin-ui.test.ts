/**
 * The built-in account UI (/ui/…) in Chromium, the whole path a person takes: sign up, land signed
 * in, change the profile, see a field error with the value kept, change the password, sign out, fail
 * with the old password, sign in with the new one, and make a privileged change with a session older
 * than `privileged_session_max_age` (1h), which goes through the refresh login and is applied on
 * return. Screenshots: test-output/screenshots/builtin-ui/.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startTestServer } from "../helpers/server.ts";
import {
  describedBy,
  HOUR,
  launchBrowser,
  NEW_PASSWORD,
  openPage,
  PASSWORD,
  Screenshots,
  see,
  steps,
  TEST_TIMEOUT,
} from "./support.ts";

test("built-in UI: sign up, settings, password change, sign out/in, refresh login", {
  timeout: TEST_TIMEOUT,
}, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const s = await startTestServer();
  t.after(() => s.close());
  const { page, errors } = await openPage(browser);
  const shots = new Screenshots("builtin-ui");
  const url = (path: string) => new URL(path, s.publicUrl).toString();
  const email = "ada@example.com";
  /** The email addresses the server holds (admin API), to tell shown from stored. */
  const storedEmails = async () => {
    const res = await fetch(new URL("admin/identities", s.adminUrl));
    const list = (await res.json()) as { traits: { email: string } }[];
    return list.map((i) => i.traits.email);
  };

  // The settings page has one form per method; find them by their submit button's method value.
  const profile = page.locator('form:has(button[name="method"][value="profile"])');
  const passwordForm = page.locator('form:has(button[name="method"][value="password"])');
  const saved = page.getByText("Your changes have been saved!");

  await steps(page, shots, async () => {
    // Sign up.
    await page.goto(url("ui/registration"));
    await see.url(page, /\/ui\/registration\?flow=/);
    await see.visible(page.getByRole("heading", { name: "Create account" }));
    await page.getByLabel("E-Mail").fill(email);
    await page.getByLabel("First Name").fill("Ada");
    await page.getByLabel("Password").fill(PASSWORD);
    await shots.take(page, "registration-filled");
    await page.getByRole("button", { name: "Sign up" }).click();

    // Signed in: the welcome page names the account.
    await see.url(page, /\/ui\/welcome/);
    await see.text(page.getByTestId("identity-email"), email);
    await shots.take(page, "welcome-signed-in");

    // Settings: a valid profile change.
    await page.getByRole("link", { name: "Account settings" }).click();
    await see.url(page, /\/ui\/settings\?flow=/);
    await see.value(profile.getByLabel("E-Mail"), email);
    await shots.take(page, "settings");
    await profile.getByLabel("Last Name").fill("Lovelace");
    await profile.getByRole("button", { name: "Save" }).click();
    await see.visible(saved);
    await see.value(profile.getByLabel("Last Name"), "Lovelace");
    await shots.take(page, "profile-saved");

    // An invalid email: the error sits on its field, the typed value stays.
    await profile.getByLabel("E-Mail").fill("not-an-email");
    await profile.getByRole("button", { name: "Save" }).click();
    const emailField = profile.getByLabel("E-Mail");
    await see.attribute(emailField, "aria-invalid", "true");
    await see.value(emailField, "not-an-email");
    assert.match(await describedBy(emailField), /valid email/i);
    await see.count(saved, 0);
    await shots.take(page, "profile-invalid-email");

    // Password change (the session is fresh: no re-authentication needed).
    await passwordForm.getByLabel("Password").fill(NEW_PASSWORD);
    await passwordForm.getByRole("button", { name: "Save" }).click();
    await see.visible(saved);
    await shots.take(page, "password-saved");

    // Sign out.
    await page.getByRole("link", { name: "Sign out" }).click();
    // Wait for the logout to finish (it redirects away from settings) before navigating on.
    await page.waitForURL((u) => !u.pathname.startsWith("/ui/settings") && !u.pathname.includes("logout"));
    await page.goto(url("ui/welcome"));
    await see.visible(page.getByText("You are not signed in."));
    await shots.take(page, "signed-out");

    // The old password no longer works…
    await page.goto(url("ui/login"));
    await see.url(page, /\/ui\/login\?flow=/);
    await page.locator('input[name="identifier"]').fill(email);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await see.visible(page.locator('[data-message-id="4000006"]'));
    await see.url(page, /\/ui\/login\?flow=/);
    await shots.take(page, "login-old-password-rejected");

    // …the new one does.
    await page.locator('input[name="identifier"]').fill(email);
    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await see.url(page, /\/ui\/welcome/);
    await see.text(page.getByTestId("identity-email"), email);
    await shots.take(page, "login-new-password");

    // A privileged change (the email is the login identifier) with a session older than 1h.
    s.clock.advance(HOUR + 60_000);
    await page.getByRole("link", { name: "Account settings" }).click();
    await see.url(page, /\/ui\/settings\?flow=/);
    const flowId = new URL(page.url()).searchParams.get("flow");
    const newEmail = "ada.lovelace@example.com";
    await profile.getByLabel("E-Mail").fill(newEmail);
    await shots.take(page, "privileged-change-old-session");
    await profile.getByRole("button", { name: "Save" }).click();

    // The refresh login ("Confirm it's you"), then back to the same settings flow, change applied.
    await see.url(page, /\/ui\/login\?flow=/);
    await see.visible(page.getByRole("heading", { name: "Confirm it's you" }));
    await shots.take(page, "refresh-login");
    assert.deepEqual(await storedEmails(), [email], "nothing applied before the refresh login");
    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    await page.getByRole("button", { name: /sign in|continue|confirm/i }).click();
    await see.url(page, new RegExp(`/ui/settings\\?flow=${flowId}`));
    await see.visible(saved);
    await see.value(profile.getByLabel("E-Mail"), newEmail);
    await shots.take(page, "privileged-change-applied");

    await page.goto(url("ui/welcome"));
    await see.text(page.getByTestId("identity-email"), newEmail);
    await shots.take(page, "welcome-new-email");
    assert.deepEqual(await storedEmails(), [newEmail]);
  });
  assert.deepEqual(errors, [], "no script errors on the page");
});
