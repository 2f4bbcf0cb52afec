import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import { courierServer } from "./support.ts";

/**
 * The dispatcher against a real SMTP server on loopback: what arrives (sender, recipient, subject,
 * both bodies, configured headers), the statuses a message goes through, retries with back-off
 * while the server refuses or is down, and abandonment after `courier.message_retries`.
 */

describe("courier delivery over SMTP", () => {
  test("a queued message is sent once with Kratos's built-in texts, sender and headers", async (t) => {
    const server = await courierServer(t, {
      courier: {
        smtp: {
          from_address: "accounts@example.org",
          from_name: "Example Accounts",
          headers: { "X-Tessera-Test": "yes" },
        },
      },
    });
    const queued = await server.queue("ada@example.org");
    assert.equal(queued.status, "queued");
    assert.equal((await server.store.getMessage(queued.id))?.status, "queued");

    const result = await server.dispatcher().drain();
    assert.deepEqual(result, { sent: 1, retried: 0, abandoned: 0 });

    const mail = await server.smtp.waitForMail("ada@example.org");
    assert.deepEqual(mail.from, { address: "accounts@example.org", name: "Example Accounts" });
    assert.equal(mail.envelope.from, "accounts@example.org");
    assert.deepEqual(mail.to, ["ada@example.org"]);
    assert.equal(mail.subject, "Use code 123456 to verify your account");
    assert.equal(
      mail.text.trim(),
      [
        "Verify your account with the following code:",
        "",
        "123456",
        "",
        "or clicking the following link:",
        "",
        "https://example.org/verify?code=123456&flow=f",
        "",
        "If this was not you, do nothing. This code / link expires in 60 minutes.",
      ].join("\n"),
    );
    // The HTML alternative escapes values the way Go's html/template does.
    assert.match(
      mail.html ?? "",
      /<a href="https:\/\/example\.org\/verify\?code=123456&amp;flow=f">https:\/\/example\.org\/verify\?code=123456&amp;flow=f<\/a>/,
    );
    assert.equal(mail.header("x-tessera-test"), "yes");

    const stored = await server.store.getMessage(queued.id);
    assert.equal(stored?.status, "sent");
    assert.equal(stored?.sendCount, 1);
    // Nothing left to send: another pass sends nothing more.
    assert.deepEqual(await server.dispatcher().drain(), { sent: 0, retried: 0, abandoned: 0 });
    assert.equal(server.smtp.mails.length, 1);

    const { status, body } = await server.admin(`admin/courier/messages/${queued.id}`);
    assert.equal(status, 200);
    assertSchema("message", body);
    const message = body as Record<string, unknown>;
    assert.equal(message.status, "sent");
    assert.equal(message.template_type, "verification_code_valid");
    assert.equal(message.subject, "Use code 123456 to verify your account");
    assert.deepEqual(
      (message.dispatches as { status: string }[]).map((d) => d.status),
      ["success"],
    );
  });

  test("every template is rendered with its model and sent", async (t) => {
    const server = await courierServer(t);
    const model = {
      To: "bo@example.org",
      RecoveryCode: "654321",
      RecoveryURL: "https://example.org/recover",
      LoginCode: "111222",
      RegistrationCode: "333444",
      VerificationURL: "https://example.org/verify",
      ExpiresInMinutes: 15,
    };
    const expected: [Parameters<typeof server.queue>[1] extends infer E ? E : never, string][] = [
      [{ template: "recovery_code.valid", model }, "Use code 654321 to recover access to your account"],
      [{ template: "recovery_code.invalid", model }, "Account access attempted"],
      [{ template: "recovery.valid", model }, "Recover access to your account"],
      [{ template: "recovery.invalid", model }, "Account access attempted"],
      [{ template: "verification.valid", model }, "Please verify your email address"],
      [{ template: "verification.invalid", model }, "Someone tried to verify this email address"],
      [{ template: "verification_code.invalid", model }, "Someone tried to verify this email address"],
      [{ template: "login_code.valid", model }, "Use code 111222 to log in"],
      [
        { template: "registration_code.valid", model },
        "Use code 333444 to complete your account registration",
      ],
    ];
    for (const [email] of expected) {
      await server.queue("bo@example.org", email);
      server.clock.advance(1); // sent in the order queued
    }
    assert.equal((await server.dispatcher().drain()).sent, expected.length);
    assert.deepEqual(
      server.smtp.mailsTo("bo@example.org").map((m) => m.subject),
      expected.map(([, subject]) => subject),
    );
    const recovery = server.smtp.mailsTo("bo@example.org")[0]!;
    assert.match(recovery.text, /654321/);
    assert.match(recovery.text, /expires in 15 minutes/);
  });

  test("SMTP refusing, then down, then up: the message is retried with back-off and sent exactly once", async (t) => {
    const server = await courierServer(t, { courier: { message_retries: 5 } });
    const dispatcher = server.dispatcher();
    const queued = await server.queue("cy@example.org");

    // Two transient refusals (451 at RCPT TO).
    server.smtp.failNext(2);
    assert.deepEqual(await dispatcher.drain(), { sent: 0, retried: 1, abandoned: 0 });
    let stored = await server.store.getMessage(queued.id);
    assert.equal(stored?.status, "queued");
    assert.equal(stored?.sendCount, 1);
    // Back-off: not due again before one second has passed.
    assert.deepEqual(await dispatcher.drain(), { sent: 0, retried: 0, abandoned: 0 });
    server.clock.advance(1000);
    assert.deepEqual(await dispatcher.drain(), { sent: 0, retried: 1, abandoned: 0 });
    // The second back-off is longer (2 s).
    server.clock.advance(1000);
    assert.deepEqual(await dispatcher.drain(), { sent: 0, retried: 0, abandoned: 0 });

    // Now the server goes down: connections are refused.
    await server.smtp.stop();
    server.clock.advance(1000);
    assert.deepEqual(await dispatcher.drain(), { sent: 0, retried: 1, abandoned: 0 });
    stored = await server.store.getMessage(queued.id);
    assert.equal(stored?.status, "queued");
    assert.equal(stored?.sendCount, 3);

    await server.smtp.restart();
    server.clock.advance(4000);
    assert.deepEqual(await dispatcher.drain(), { sent: 1, retried: 0, abandoned: 0 });
    assert.equal(server.smtp.refused, 2);
    assert.equal(server.smtp.mailsTo("cy@example.org").length, 1);
    stored = await server.store.getMessage(queued.id);
    assert.equal(stored?.status, "sent");
    assert.equal(stored?.sendCount, 4);

    server.clock.advance(600_000);
    await dispatcher.drain();
    assert.equal(server.smtp.mailsTo("cy@example.org").length, 1, "sent once, never again");

    const { body } = await server.admin(`admin/courier/messages/${queued.id}`);
    assertSchema("message", body);
    assert.deepEqual(
      (body as { dispatches: { status: string }[] }).dispatches.map((d) => d.status),
      ["success", "failed", "failed", "failed"],
    );
  });

  test("after message_retries failed retries the message is abandoned and listed as such", async (t) => {
    const server = await courierServer(t, { courier: { message_retries: 2 } });
    const dispatcher = server.dispatcher();
    const queued = await server.queue("di@example.org");
    await server.smtp.stop();
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(await dispatcher.drain());
      server.clock.advance(600_000);
    }
    // One attempt and two retries, then abandoned; nothing after.
    assert.deepEqual(outcomes, [
      { sent: 0, retried: 1, abandoned: 0 },
      { sent: 0, retried: 1, abandoned: 0 },
      { sent: 0, retried: 0, abandoned: 1 },
      { sent: 0, retried: 0, abandoned: 0 },
    ]);
    await server.smtp.restart();
    await dispatcher.drain();
    assert.equal(server.smtp.mails.length, 0);

    const list = await server.admin("admin/courier/messages?status=abandoned");
    assert.equal(list.status, 200);
    const messages = list.body as Record<string, unknown>[];
    assert.deepEqual(
      messages.map((m) => [m.id, m.status, m.send_count]),
      [[queued.id, "abandoned", 3]],
    );
    for (const m of messages) assertSchema("message", m);
    const one = await server.admin(`admin/courier/messages/${queued.id}`);
    assertSchema("message", one.body);
    const dispatches = (one.body as { dispatches: { status: string; error: { message: string } }[] })
      .dispatches;
    assert.equal(dispatches.length, 3);
    assert.ok(dispatches.every((d) => d.status === "failed" && typeof d.error.message === "string"));
  });

  test("a permanent SMTP error (5xx) abandons the message at once, as Kratos does", async (t) => {
    const server = await courierServer(t);
    const queued = await server.queue("eve@example.org");
    server.smtp.failNext(1, 550);
    assert.deepEqual(await server.dispatcher().drain(), { sent: 0, retried: 0, abandoned: 1 });
    assert.equal((await server.store.getMessage(queued.id))?.status, "abandoned");
  });

  test("an address that is not an email address is abandoned without a connection", async (t) => {
    const server = await courierServer(t);
    const queued = await server.queue("not an address");
    assert.deepEqual(await server.dispatcher().drain(), { sent: 0, retried: 0, abandoned: 1 });
    assert.equal((await server.store.getMessage(queued.id))?.status, "abandoned");
    assert.equal(server.smtp.mails.length, 0);
  });

  test("when the server is unreachable the rest of the batch waits without losing an attempt", async (t) => {
    const server = await courierServer(t, { courier: { worker: { pull_count: 10 } } });
    const first = await server.queue("f1@example.org");
    server.clock.advance(1); // claimed in the order queued
    const second = await server.queue("f2@example.org");
    await server.smtp.stop();
    assert.deepEqual(await server.dispatcher().drain(), { sent: 0, retried: 1, abandoned: 0 });
    assert.equal((await server.store.getMessage(first.id))?.sendCount, 1);
    const untouched = await server.store.getMessage(second.id);
    assert.equal(untouched?.status, "queued");
    assert.equal(untouched?.sendCount, 0);
    await server.smtp.restart();
    server.clock.advance(1000);
    assert.deepEqual(await server.dispatcher().drain(), { sent: 2, retried: 0, abandoned: 0 });
  });

  test("smtp:// without disable_starttls insists on STARTTLS and never sends in clear text", async (t) => {
    const server = await courierServer(t);
    const plain = server.smtp.connectionUri.replace("?disable_starttls=true", "");
    const config = server.app.deps.config.raw.courier;
    const dispatcher = server.dispatcher({
      courier: { ...config, smtp: { ...config.smtp, connection_uri: plain } },
    });
    const queued = await server.queue("gus@example.org");
    assert.deepEqual(await dispatcher.drain(), { sent: 0, retried: 1, abandoned: 0 });
    assert.equal(server.smtp.mails.length, 0);
    assert.equal((await server.store.getMessage(queued.id))?.status, "queued");
  });

  test("a message left processing by a dispatcher that died is taken over after the timeout", async (t) => {
    const server = await courierServer(t);
    const queued = await server.queue("hal@example.org");
    // A dispatcher claims the message and dies before settling it.
    const [claimed] = await server.store.claimMessages({
      now: server.clock.now(),
      limit: 10,
      stuckBefore: new Date(0),
    });
    assert.equal(claimed?.id, queued.id);
    const dispatcher = server.dispatcher({ processingTimeoutMs: 60_000 });
    assert.deepEqual(await dispatcher.drain(), { sent: 0, retried: 0, abandoned: 0 });
    server.clock.advance(60_001);
    assert.deepEqual(await dispatcher.drain(), { sent: 1, retried: 0, abandoned: 0 });
    assert.equal(server.smtp.mails.length, 1);
  });

  test("start() sends on every pull_wait tick and stop() ends the loop", async (t) => {
    const server = await courierServer(t, { courier: { worker: { pull_wait: "3s" } } });
    const scheduled: { run: () => void; ms: number }[] = [];
    const dispatcher = server.dispatcher({
      timer: {
        set: (run, ms) => scheduled.push({ run, ms }),
        clear: () => {},
      },
    });
    await server.queue("ivy@example.org");
    dispatcher.start();
    assert.equal(scheduled.length, 1);
    assert.equal(scheduled[0]!.ms, 0);
    scheduled[0]!.run();
    await server.smtp.waitForMail("ivy@example.org");
    // The next pass is scheduled after pull_wait once this one has finished.
    await waitUntil(() => scheduled.length === 2);
    assert.equal(scheduled[1]!.ms, 3000);
    await dispatcher.stop();
    scheduled[1]!.run();
    assert.equal(scheduled.length, 2, "a stopped dispatcher schedules nothing more");
  });
});

/** Lets pending promise callbacks run until `condition` holds (no timers involved). */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  assert.ok(condition());
}
