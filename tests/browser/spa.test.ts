/**
 * The single-page example (examples/spa) in Chromium against the Tessera it is configured with
 * (examples/spa/tessera.ts), built once for this file with esbuild's JS API and served from its own
 * listener on another port of the same host: the whole path through the typed tRPC client, with
 * cookies and CSRF across origins. Sign-up, sign-in and the refresh login are Tessera's built-in
 * pages; the app sends the browser there and gets it back. Screenshots: test-output/screenshots/spa/.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import {
  buildSpaOnce,
  describedBy,
  HOUR,
  launchBrowser,
  NEW_PASSWORD,
  openPage,
  PASSWORD,
  Screenshots,
  see,
  startSpaStack,
  steps,
  TEST_TIMEOUT,
} from "./support.ts";

let dist = "";
before(async () => {
  dist = await buildSpaOnce();
});

test("single-page example: sign up, settings over tRPC, password change, sign out/in, refresh login", {
  timeout: TEST_TIMEOUT,
}, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const stack = await startSpaStack(t, dist);
  const { page, errors } = await openPage(browser);
  const shots = new Screenshots("spa");
  const email = "grace@example.com";
  const spa = new RegExp(`^${stack.spaUrl.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`);
  const onBuiltIn = (path: string) => new RegExp(`^${stack.publicUrl}ui/${path}\\?flow=`);
  const storedEmails = async () => {
    const res = await fetch(new URL("admin/identities", stack.tessera.adminUrl));
    const list = (await res.json()) as { traits: { email: string } }[];
    return list.map((i) => i.traits.email);
  };

  const app = page.locator("#app");
  const profile = app.locator("form#spa-profile");
  const passwordForm = app.locator("form#spa-password");
  const saved = app.getByText("Your changes have been saved!");
  const signedInAs = page.getByTestId("identity-email");

  await steps(page, shots, async () => {
    // Without a session the app sends the browser to the built-in sign-in page, returning to it.
    await page.goto(stack.spaUrl);
    await see.url(page, onBuiltIn("login"));
    assert.equal(
      new URL(page.url()).searchParams.get("flow") !== null,
      true,
      "a login flow was created for the app",
    );
    await shots.take(page, "no-session-sign-in-page");

    // Sign up from there (the link keeps return_to), and land back in the app, signed in.
    await page.getByRole("link", { name: "Create an account" }).click();
    await see.url(page, onBuiltIn("registration"));
    await page.getByLabel("E-Mail").fill(email);
    await page.getByLabel("First Name").fill("Grace");
    await page.getByLabel("Password").fill(PASSWORD);
    await shots.take(page, "registration-filled");
    await page.getByRole("button", { name: "Sign up" }).click();
    await see.url(page, spa);
    await see.text(signedInAs, email);
    await see.value(profile.getByLabel("E-Mail"), email);
    await see.value(profile.getByLabel("First Name"), "Grace");
    assert.ok(new URL(page.url()).searchParams.get("flow"), "the app put its flow id in the URL");
    // The CSRF token of the flow is in the form, as a hidden input.
    assert.ok(await profile.locator('input[type="hidden"][name="csrf_token"]').inputValue());
    await shots.take(page, "app-signed-in");

    // A valid profile change.
    await profile.getByLabel("Last Name").fill("Hopper");
    await profile.getByRole("button", { name: "Save" }).click();
    await see.visible(saved);
    await see.value(profile.getByLabel("Last Name"), "Hopper");
    await shots.take(page, "profile-saved");

    // An invalid email: the message is tied to the field and the value stays.
    await profile.getByLabel("E-Mail").fill("not-an-email");
    await profile.getByRole("button", { name: "Save" }).click();
    const emailField = profile.getByLabel("E-Mail");
    await see.attribute(emailField, "aria-invalid", "true");
    await see.value(emailField, "not-an-email");
    assert.match(await describedBy(emailField), /valid email/i);
    await see.count(saved, 0);
    await shots.take(page, "profile-invalid-email");
    assert.deepEqual(await storedEmails(), [email]);

    // Password change.
    await passwordForm.getByLabel("Password").fill(NEW_PASSWORD);
    await passwordForm.getByRole("button", { name: "Save" }).click();
    await see.visible(saved);
    await see.value(passwordForm.getByLabel("Password"), "");
    await shots.take(page, "password-saved");

    // Sign out through the app (tRPC session.logout): back to the sign-in page.
    await page.getByRole("button", { name: "Sign out" }).click();
    await see.url(page, onBuiltIn("login"));
    await shots.take(page, "signed-out");

    // The old password fails…
    await page.locator('input[name="identifier"]').fill(email);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await see.visible(page.locator('[data-message-id="4000006"]'));
    await shots.take(page, "login-old-password-rejected");

    // …the new one works and returns to the app.
    await page.locator('input[name="identifier"]').fill(email);
    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await see.url(page, spa);
    await see.text(signedInAs, email);
    await see.value(profile.getByLabel("Last Name"), "Hopper");
    await shots.take(page, "app-signed-in-again");

    // An hour later the open form's flow has expired (1h lifespan): the app switches to the
    // replacement flow Tessera made (410 with use_flow_id), which says why.
    const firstFlow = new URL(page.url()).searchParams.get("flow");
    stack.clock.advance(HOUR + 60_000);
    const newEmail = "grace.hopper@example.com";
    await profile.getByLabel("E-Mail").fill(newEmail);
    await profile.getByRole("button", { name: "Save" }).click();
    await see.visible(app.locator('[data-message-id="4050001"]'));
    const secondFlow = new URL(page.url()).searchParams.get("flow");
    assert.ok(secondFlow && secondFlow !== firstFlow, "the app moved to the replacement flow");
    await see.value(profile.getByLabel("E-Mail"), email);
    await shots.take(page, "flow-expired-replaced");

    // A privileged change with a session older than 1h: refresh login, then applied on return.
    await profile.getByLabel("E-Mail").fill(newEmail);
    await shots.take(page, "privileged-change-old-session");
    await profile.getByRole("button", { name: "Save" }).click();
    await see.url(page, onBuiltIn("login"));
    await see.visible(page.getByRole("heading", { name: "Confirm it's you" }));
    await shots.take(page, "refresh-login");
    assert.deepEqual(await storedEmails(), [email], "nothing applied before the refresh login");

    await page.locator('input[name="password"]').fill(NEW_PASSWORD);
    await page.getByRole("button", { name: /sign in|continue|confirm/i }).click();
    await see.url(page, spa);
    assert.equal(new URL(page.url()).searchParams.get("flow"), secondFlow, "Tessera returned with ?flow=");
    await see.visible(saved);
    await see.value(profile.getByLabel("E-Mail"), newEmail);
    await see.text(signedInAs, newEmail);
    await shots.take(page, "privileged-change-applied");
    assert.deepEqual(await storedEmails(), [newEmail]);
  });
  assert.deepEqual(errors, [], "no uncaught script errors in the app");
});
