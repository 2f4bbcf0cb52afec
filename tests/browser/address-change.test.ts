/**
 * A pending email change in the built-in UI, in Chromium: sign up, change the address in the
 * account centre (held until the new address is verified: shown under "Email addresses" as pending),
 * cancel it, change it again and verify the new address with the mailed code; then the old
 * address's "this wasn't me" link undoes it (old address back, every session ended), and an
 * expired link is refused. Light and dark screenshots: test-output/screenshots/address-change/.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { HELD_ADDRESS_CHANGE_FLOWS } from "../account/support.ts";
import { latestMail } from "../helpers/outbox.ts";
import { startTestServer } from "../helpers/server.ts";
import { HOUR, launchBrowser, openPage, PASSWORD, Screenshots, see, steps, TEST_TIMEOUT } from "./support.ts";

const REVERT_LINK =
  /https?:\/\/[^\s"'<>]+\/self-service\/account\/address-change\/revert\?token=[A-Za-z0-9]+/;

test("built-in UI: email change pending → cancel → change → verify → revert link undoes it; expired link refused", {
  timeout: TEST_TIMEOUT,
}, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const s = await startTestServer({
    selfservice: {
      flows: HELD_ADDRESS_CHANGE_FLOWS,
    },
    account: { address_change: { revert_lifespan: "2h" } },
  });
  t.after(() => s.close());
  const { page, errors } = await openPage(browser);
  const shots = new Screenshots("address-change");
  const url = (path: string) => new URL(path, s.publicUrl).toString();
  const oldEmail = "ada@example.com";
  const first = "ada@first.example";
  const second = "ada@second.example";
  const third = "ada@third.example";
  const identity = async () => {
    const res = await fetch(new URL("admin/identities", s.adminUrl));
    return ((await res.json()) as { id: string; traits: { email: string } }[])[0]!;
  };
  const both = async (p: Page, step: string) => {
    await p.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });
    await shots.take(p, `${step}-light`);
    await p.emulateMedia({ colorScheme: "dark", reducedMotion: "reduce" });
    await shots.take(p, `${step}-dark`);
    await p.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });
  };
  const profile = page.locator('form:has(button[name="method"][value="profile"])');
  const addresses = page.locator("#addresses");
  const pendingRow = addresses.locator("[data-pending-address]");
  /** Changes the address in the settings page; the held change continues on the verification page. */
  const changeTo = async (email: string) => {
    await page.goto(url("ui/settings"));
    await see.url(page, /\/ui\/settings\?flow=/);
    await profile.getByLabel("E-Mail").fill(email);
    await profile.getByRole("button", { name: "Save" }).click();
    await see.url(page, /\/ui\/verification\?flow=/);
  };
  const revertLinkFor = async () => {
    const notice = await latestMail(s.store, oldEmail, "verifiable_address_changed");
    const link = REVERT_LINK.exec(notice.body)?.[0];
    assert.ok(link, `a revert link in:\n${notice.body}`);
    return link;
  };

  await steps(page, shots, async () => {
    await page.goto(url("ui/registration"));
    await see.url(page, /\/ui\/registration\?flow=/);
    await page.getByLabel("E-Mail").fill(oldEmail);
    await page.getByLabel("First Name").fill("Ada");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign up" }).click();
    await see.url(page, /\/ui\/welcome/);

    // A held change: the address stays, the settings page shows the new one pending.
    await changeTo(first);
    const cancelledLink = await revertLinkFor();
    await page.goto(url("ui/settings"));
    await see.url(page, /\/ui\/settings\?flow=/);
    await see.visible(pendingRow);
    await see.visible(pendingRow.getByText(first));
    await see.text(pendingRow.locator(".badge"), "pending verification");
    const cancel = pendingRow.getByRole("button", { name: `Cancel the change to ${first}` });
    assert.match((await cancel.getAttribute("class")) ?? "", /button--secondary/);
    await see.count(profile.locator('[name="cancel_pending_address"]'), 0);
    assert.equal(await profile.getByLabel("E-Mail").inputValue(), oldEmail);
    assert.equal((await identity()).traits.email, oldEmail);
    await both(page, "settings-pending");

    // Cancel it.
    await cancel.click();
    await see.url(page, /\/ui\/settings\?flow=/);
    await see.visible(page.locator('[data-message-id="1900004"]'));
    await see.count(pendingRow, 0);
    assert.equal((await identity()).traits.email, oldEmail);

    // Change again (a second later: mails are told apart by time) and verify the new address.
    s.clock.advance(1000);
    await changeTo(second);
    const code = (await latestMail(s.store, second, "verification_code.valid")).code!;
    await page.getByLabel("Verification code").fill(code);
    await page.getByRole("button", { name: "Continue" }).click();
    await see.visible(page.locator('[data-message-id="1080002"]'));
    assert.equal((await identity()).traits.email, second);
    await page.goto(url("ui/settings"));
    await see.url(page, /\/ui\/settings\?flow=/);
    await see.value(profile.getByLabel("E-Mail"), second);
    await see.visible(addresses.locator(".address--verified").getByText(second));
    await see.count(pendingRow, 0);
    await shots.take(page, "settings-new-address");

    // The old address's notice: the link shows what it will do, then undoes it.
    const link = await revertLinkFor();
    assert.notEqual(link, cancelledLink);
    await page.goto(link);
    await see.visible(page.getByRole("heading", { name: "Undo address change" }));
    await both(page, "revert-confirm");
    assert.equal((await identity()).traits.email, second, "opening the link changes nothing");
    await page.getByRole("button", { name: "Undo the change" }).click();
    await see.visible(page.locator('[data-message-id="1900005"]'));
    await shots.take(page, "reverted");
    const back = await identity();
    assert.equal(back.traits.email, oldEmail);
    const sessions = await fetch(new URL(`admin/identities/${back.id}/sessions?active=true`, s.adminUrl));
    assert.deepEqual(await sessions.json(), [], "every session ended");

    // The first notice's link: that change was cancelled, so the link is used up.
    await page.goto(cancelledLink);
    await see.visible(page.locator('[data-message-id="4900004"]'));
    await page.goto(url("ui/settings"));
    await see.url(page, /\/ui\/login\?flow=/);

    // Sign in again, request another change; its link expires after revert_lifespan.
    await page.locator('input[name="identifier"]').fill(oldEmail);
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await see.url(page, /\/ui\/(welcome|settings)/);
    s.clock.advance(1000);
    await changeTo(third);
    const expired = await revertLinkFor();
    s.clock.advance(2 * HOUR + 1000);
    const res = await page.goto(expired);
    assert.equal(res?.status(), 410);
    await see.visible(page.locator('[data-message-id="4900003"]'));
    await see.visible(page.getByRole("heading", { name: "Link not valid" }));
    await shots.take(page, "revert-expired");
    assert.equal((await identity()).traits.email, oldEmail);
  });
  assert.deepEqual(errors, [], "no script errors on the page");
});
