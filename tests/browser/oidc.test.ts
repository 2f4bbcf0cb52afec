/**
 * OpenID Connect in Chromium with the built-in pages and a real OpenID provider on loopback: sign up
 * with the provider; then, for a password account, link the provider from settings and unlink it.
 * Screenshots: test-output/screenshots/oidc/.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { registerNative } from "../helpers/frontend.ts";
import { jsonnetSkip, oidcWorld } from "../oidc/support.ts";
import { launchBrowser, openPage, PASSWORD, Screenshots, see, steps, TEST_TIMEOUT } from "./support.ts";

test("built-in UI: sign up with the provider, link it from settings for a password account, unlink it", {
  timeout: TEST_TIMEOUT,
  skip: jsonnetSkip,
}, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const w = await oidcWorld(t);
  const ROUND_TRIP = 60_000;
  const url = (path: string) => new URL(path, w.s.publicUrl).toString();
  const shots = new Screenshots("oidc");
  const identities = async () =>
    (await (await fetch(new URL("admin/identities", w.s.adminUrl))).json()) as {
      id: string;
      traits: { email: string };
      credentials: Record<string, { identifiers: string[] }>;
    }[];

  // Alice signs up with the provider.
  const alice = await openPage(browser);
  await steps(alice.page, shots, async () => {
    await alice.page.goto(url("ui/registration"));
    await see.url(alice.page, /\/ui\/registration\?flow=/);
    await shots.take(alice.page, "registration-with-provider-button");
    // The provider round trip (several redirects and a jsonnet process) gets more time than one step.
    await alice.page.getByRole("button", { name: "Sign up with Loopback ID" }).click({ timeout: ROUND_TRIP });
    await alice.page.waitForURL(
      (u) => !u.pathname.startsWith("/ui/registration") && u.origin === new URL(w.s.publicUrl).origin,
      {
        waitUntil: "load",
      },
    );
    await shots.take(alice.page, "signed-up");
  });
  const aliceIdentity = (await identities()).find((i) => i.traits.email === "alice@example.com");
  assert.deepEqual(aliceIdentity?.credentials.oidc?.identifiers, ["loopback:alice-sub"]);

  // Bob has a password account, signs in, links the provider, then unlinks it.
  await registerNative(w.s, "bob@example.com");
  w.op.nextUser = "bob-sub";
  const bob = await openPage(browser);
  const linked = () =>
    identities().then((list) => list.find((i) => i.traits.email === "bob@example.com")?.credentials.oidc);
  await steps(bob.page, shots, async () => {
    await bob.page.goto(url("ui/login"));
    await bob.page.getByLabel("E-Mail").fill("bob@example.com");
    await bob.page.getByLabel("Password").fill(PASSWORD);
    await bob.page.getByRole("button", { name: "Sign in with password" }).click();
    await bob.page.waitForURL((u) => !u.pathname.startsWith("/ui/login"), { waitUntil: "load" });
    await bob.page.goto(url("ui/settings"));
    await see.url(bob.page, /\/ui\/settings\?flow=/);
    await see.visible(bob.page.getByRole("group", { name: "Linked sign-ins" }));
    await shots.take(bob.page, "settings-link-button");
    await bob.page.getByRole("button", { name: "Link Loopback ID" }).click({ timeout: ROUND_TRIP });
    await bob.page.getByText("Your changes have been saved!").waitFor({ timeout: ROUND_TRIP });
    await see.visible(bob.page.getByText("Your changes have been saved!"));
    await see.visible(bob.page.getByRole("button", { name: "Unlink Loopback ID" }));
    await shots.take(bob.page, "linked");
  });
  assert.deepEqual((await linked())?.identifiers, ["loopback:bob-sub"]);
  await steps(bob.page, shots, async () => {
    await bob.page.getByRole("button", { name: "Unlink Loopback ID" }).click();
    await see.visible(bob.page.getByRole("button", { name: "Link Loopback ID" }));
    await shots.take(bob.page, "unlinked");
  });
  assert.equal(await linked(), undefined);
  assert.deepEqual([...alice.errors, ...bob.errors], []);
});
