/**
 * The account centre (/ui/settings and /ui/account/*) in Chromium, section by section: the profile
 * with live validation (a dry run while typing, nothing written), focus on the first error after a
 * real submission, the password, signing out the other sessions, the security history, the export
 * download, and a deletion that needs a refresh login and is cancelled by signing in again within
 * the grace period. Every page is photographed in light and dark:
 * test-output/screenshots/account-centre/.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { Page } from "playwright-core";
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

test("account centre: profile with live validation, password, sessions, history, export, deletion cancelled", {
  timeout: TEST_TIMEOUT,
}, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const s = await startTestServer({ account: { export: { enabled: true }, deletion: { enabled: true } } });
  t.after(() => s.close());
  const { page, errors } = await openPage(browser);
  const shots = new Screenshots("account-centre");
  const url = (path: string) => new URL(path, s.publicUrl).toString();
  const email = "ada@example.com";
  const identities = async () => {
    const res = await fetch(new URL("admin/identities", s.adminUrl));
    return (await res.json()) as { id: string; traits: { email: string; name?: { first?: string } } }[];
  };
  /** The same page in light and in dark (reduced motion: no colour transition half-way in a shot). */
  const both = async (p: Page, step: string) => {
    await p.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });
    await shots.take(p, `${step}-light`);
    await p.emulateMedia({ colorScheme: "dark", reducedMotion: "reduce" });
    await shots.take(p, `${step}-dark`);
    await p.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });
  };
  const signIn = async (p: Page, password: string) => {
    await p.goto(url("ui/login"));
    await see.url(p, /\/ui\/login\?flow=/);
    await p.locator('input[name="identifier"]').fill(email);
    await p.locator('input[name="password"]').fill(password);
    await p.getByRole("button", { name: "Sign in" }).click();
    await see.url(p, /\/ui\/welcome/);
  };
  const sections = page.getByRole("navigation", { name: "Account sections" });
  const profile = page.locator('form:has(button[name="method"][value="profile"])');
  const passwordForm = page.locator('form:has(button[name="method"][value="password"])');
  const saved = page.getByText("Your changes have been saved!");

  await steps(page, shots, async () => {
    // Sign up; the registration form validates while typing, too.
    await page.goto(url("ui/registration"));
    await see.url(page, /\/ui\/registration\?flow=/);
    await page.getByLabel("E-Mail").fill("ada@");
    await see.attribute(page.getByLabel("E-Mail"), "aria-invalid", "true");
    await both(page, "registration-live-error");
    await page.getByLabel("E-Mail").fill(email);
    await page.getByLabel("First Name").fill("Ada");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign up" }).click();
    await see.url(page, /\/ui\/welcome/);
    const { id } = (await identities())[0]!;

    // Profile: the section navigation, addresses with their state.
    await page.getByRole("link", { name: "Account settings" }).click();
    await see.url(page, /\/ui\/settings\?flow=/);
    await see.visible(sections.getByRole("link", { name: "Profile" }));
    await see.visible(page.getByRole("heading", { name: "Email addresses" }));
    await both(page, "settings");

    // Live validation: an error shows as the person types, nothing is saved.
    const emailField = profile.getByLabel("E-Mail");
    await emailField.fill("ada.lovelace@");
    await see.attribute(emailField, "aria-invalid", "true");
    assert.match(await describedBy(emailField), /valid email|format/i);
    await see.count(saved, 0);
    await both(page, "settings-live-error");
    await emailField.fill("ada.lovelace@example.com");
    await eventuallyValid(page, emailField);
    await profile.getByLabel("First Name").fill("Augusta");
    await see.attribute(profile, "data-live-state", "valid");
    const stored = await identities();
    assert.equal(stored[0]!.traits.email, email, "the dry runs wrote nothing");
    assert.equal(stored[0]!.traits.name?.first, "Ada");

    // A real submission with an error: the page comes back with the focus on that field.
    await emailField.fill("not-an-email");
    await profile.getByRole("button", { name: "Save" }).click();
    await page.waitForLoadState("load");
    await see.attribute(emailField, "aria-invalid", "true");
    assert.equal(
      await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name),
      "traits.email",
    );
    assert.equal((await identities())[0]!.traits.email, email);

    // Password: the form carries the account name for password managers.
    await see.attribute(passwordForm.locator('input[autocomplete="username"]'), "value", email);
    await passwordForm.getByLabel("Password").fill(NEW_PASSWORD);
    await passwordForm.getByRole("button", { name: "Save" }).click();
    await see.visible(saved);
    await both(page, "password-saved");

    // Sessions: another browser signs in, then "sign out all other sessions" ends it.
    const other = await openPage(browser);
    await signIn(other.page, NEW_PASSWORD);
    await sections.getByRole("link", { name: "Sessions and devices" }).click();
    await see.url(page, /\/ui\/account\/sessions/);
    await see.count(page.locator('[data-session="other"]'), 1);
    await both(page, "sessions");
    await page.getByRole("button", { name: "Sign out all other sessions" }).click();
    await see.visible(page.getByRole("status").getByText("All your other sessions were signed out."));
    await see.count(page.locator('[data-session="other"]'), 0);
    await both(page, "sessions-signed-out");
    await other.page.goto(url("ui/welcome"));
    await see.visible(other.page.getByText("You are not signed in."));

    // History.
    await sections.getByRole("link", { name: "Security history" }).click();
    await see.url(page, /\/ui\/account\/history/);
    await see.visible(page.getByText("Password changed"));
    await see.visible(page.getByText("Signed out all other sessions"));
    await see.visible(page.getByText("Account created"));
    await both(page, "history");

    // Export: a download with the person's data and no secret.
    await sections.getByRole("link", { name: "Your data" }).click();
    await see.url(page, /\/ui\/account\/data/);
    await both(page, "data");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download your data" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), "account-export.json");
    const exported = readFileSync((await download.path())!, "utf8");
    const data = JSON.parse(exported) as { identity: { id: string }; sessions: unknown[] };
    assert.equal(data.identity.id, id);
    const [session] = await s.store.listSessions(id, { active: true });
    for (const secret of ["$argon2", "ory_st_", "ory_lo_", session!.token, PASSWORD, NEW_PASSWORD]) {
      assert.ok(!exported.includes(secret), "no secret in the export");
    }

    // Deletion with a session older than the privileged age: confirm it's you, then delete.
    s.clock.advance(2 * HOUR);
    await page.getByLabel("Type delete my account to confirm").fill("delete my account");
    await page.getByRole("button", { name: "Delete my account" }).click();
    await see.url(page, /\/ui\/login\?flow=/);
    await see.visible(page.getByRole("heading", { name: "Confirm it's you" }));
    await both(page, "deletion-refresh-login");
    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    await page.getByRole("button", { name: /sign in|continue|confirm/i }).click();
    await see.url(page, /\/ui\/account\/data/);
    await see.visible(page.getByText("Thanks for confirming it's you."));
    await page.getByLabel("Type delete my account to confirm").fill("delete my account");
    await page.getByRole("button", { name: "Delete my account" }).click();
    await see.url(page, /\/ui\/welcome/);
    await see.visible(page.getByText(/Your account will be deleted in 30 days/));
    await both(page, "deletion-scheduled");
    assert.ok(await s.store.getDeletion(id), "scheduled");

    // A day later, signing in cancels it.
    s.clock.advance(24 * HOUR);
    await signIn(page, NEW_PASSWORD);
    assert.equal(await s.store.getDeletion(id), undefined, "cancelled");
    assert.equal((await identities()).length, 1);
    await page.goto(url("ui/account/history"));
    await see.visible(page.getByText("Account deletion cancelled"));
    await see.visible(page.getByText("Account deletion requested"));
    await both(page, "history-after-deletion-cancelled");

    // A narrow screen: the sections wrap above the card.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url("ui/settings"));
    await see.url(page, /\/ui\/settings\?flow=/);
    await both(page, "settings-narrow");
  });
  assert.deepEqual(errors, []);
});

async function eventuallyValid(page: Page, field: ReturnType<Page["locator"]>): Promise<void> {
  await page.waitForFunction(
    (el) => el !== null && !el.hasAttribute("aria-invalid"),
    await field.elementHandle(),
    { timeout: 15_000 },
  );
}
