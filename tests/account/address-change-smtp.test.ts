import assert from "node:assert/strict";
import { test } from "node:test";
import { CourierDispatcher } from "../../server/courier/dispatcher.ts";
import { silentLogger } from "../../server/logger.ts";
import { startSmtpServer } from "../helpers/smtp.ts";
import { apiFlow, bodyOf, form, postWithToken, registerApi, server, url } from "../settings/helpers.ts";
import { HELD_ADDRESS_CHANGE_FLOWS } from "./support.ts";

// The whole held email change over a real SMTP listener: the code reaches the new address, the
// notice with its "this wasn't me" link (plaintext and HTML) reaches the old one, and that link
// undoes the change.

test("held email change over SMTP: code to the new address, revert link to the old one", async (t) => {
  const smtp = await startSmtpServer(t);
  const s = await server(t, {
    courier: { smtp: { connection_uri: smtp.connectionUri, from_address: "accounts@example.org" } },
    selfservice: {
      flows: HELD_ADDRESS_CHANGE_FLOWS,
    },
  });
  const dispatcher = new CourierDispatcher({
    store: s.store,
    clock: s.clock,
    logger: silentLogger,
    courier: s.app.deps.config.raw.courier,
  });
  t.after(() => dispatcher.stop());
  const user = await registerApi(s, "ada@example.com");
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    traits: { email: "ada@new.example", name: { first: "Ada", last: "Lovelace" } },
  });
  const body = await bodyOf(res);
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.ok((await dispatcher.drain()).sent >= 2);

  // The registration's own verification mail may arrive first.
  let notice = await smtp.waitForMail("ada@example.com");
  while (!/changed/.test(notice.subject)) notice = await smtp.waitForMail("ada@example.com");
  assert.equal(notice.subject, "A verifiable address on your account was changed");
  const link = /https?:\/\/\S+\/self-service\/account\/address-change\/revert\?token=[A-Za-z0-9]+/.exec(
    notice.text,
  )?.[0];
  assert.ok(link, notice.text);
  assert.ok(notice.html?.includes(`href="${link}"`), "the HTML alternative carries the same link");

  const code = /(?:^|\s)(\d{6})(?:\s|$)/m.exec((await smtp.waitForMail("ada@new.example")).text)?.[1];
  const vf = (body.continue_with as { flow: { id: string } }[])[0]!.flow.id;
  const passed = await bodyOf(
    await fetch(url(s, `/self-service/verification?flow=${vf}`), {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ method: "code", code }),
    }),
  );
  assert.equal(passed.state, "passed_challenge");
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@new.example");

  const token = new URL(link).searchParams.get("token")!;
  const undone = await fetch(url(s, "/self-service/account/address-change/revert"), form({ token }));
  assert.equal(undone.status, 200);
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@example.com");
});
