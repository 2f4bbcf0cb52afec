import type { AddressInfo } from "node:net";
import { type AddressObject, type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerAddress } from "smtp-server";

/**
 * A real SMTP server on loopback for tests (the `smtp-server` package; every mail parsed with
 * `mailparser`). Start one per test, point `courier.smtp.connection_uri` at `connectionUri`, and
 * read what arrived:
 *
 *   const smtp = await startSmtpServer(t);          // closed when the test ends
 *   ...queue a message, await dispatcher.drain()...
 *   const mail = await smtp.waitForMail("a@example.org");
 *   assert.equal(mail.subject, "…");
 *
 * Failure modes for retry tests: `failNext(n)` answers the next n deliveries with a transient
 * 451 (or the given code) at RCPT TO; `stop()` takes the server down (connections refused) and
 * `restart()` brings it back on the same port.
 */

export interface ReceivedMail {
  /** Envelope sender and recipients, as the SMTP client gave them. */
  envelope: { from: string; to: string[] };
  /** The From header's first address and display name. */
  from: { address: string; name: string };
  /** The To header's addresses. */
  to: string[];
  subject: string;
  text: string;
  /** The HTML alternative, or undefined when the mail has none. */
  html: string | undefined;
  /** Header lookup by lower-case name (mailparser's view). */
  header(name: string): string | undefined;
  parsed: ParsedMail;
}

export interface SmtpTestServer {
  /** A `courier.smtp.connection_uri` for this server (plain SMTP, no STARTTLS). */
  connectionUri: string;
  port: number;
  /** Every mail received so far, in arrival order. */
  readonly mails: readonly ReceivedMail[];
  mailsTo(address: string): ReceivedMail[];
  /**
   * The first mail to `address` not yet taken by an earlier call, waiting for it if needed
   * (rejects after `timeoutMs`, default 5 s, so a missing mail fails the test instead of hanging).
   */
  waitForMail(address: string, options?: { timeoutMs?: number }): Promise<ReceivedMail>;
  /** Refuses the next `count` deliveries at RCPT TO with `code` (default 451, a transient error). */
  failNext(count: number, code?: number): void;
  /** Deliveries refused so far by `failNext`. */
  readonly refused: number;
  /** Takes the server down: new connections are refused until `restart()`. */
  stop(): Promise<void>;
  /** Brings a stopped server back on the same port. */
  restart(): Promise<void>;
  clear(): void;
  close(): Promise<void>;
}

function addresses(value: AddressObject | AddressObject[] | undefined): { address: string; name: string }[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.flatMap((a) => a.value.map((v) => ({ address: v.address ?? "", name: v.name })));
}

function envelopeAddress(a: SMTPServerAddress | false): string {
  return a === false ? "" : a.address;
}

export async function startSmtpServer(t?: {
  after(fn: () => Promise<void> | void): void;
}): Promise<SmtpTestServer> {
  const mails: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const waiters: { address: string; resolve: (mail: ReceivedMail) => void }[] = [];
  let failures: { remaining: number; code: number } = { remaining: 0, code: 451 };
  let refused = 0;

  const deliver = (mail: ReceivedMail) => {
    mails.push(mail);
    for (const [i, waiter] of waiters.entries()) {
      if (mail.envelope.to.includes(waiter.address.toLowerCase()) || mail.to.includes(waiter.address)) {
        waiters.splice(i, 1);
        taken.add(mail);
        waiter.resolve(mail);
        return;
      }
    }
  };

  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onRcptTo(_address, _session, callback) {
        if (failures.remaining > 0) {
          failures.remaining--;
          refused++;
          const err = Object.assign(new Error("Try again later (test failure)"), {
            responseCode: failures.code,
          });
          callback(err);
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            const from = addresses(parsed.from)[0] ?? { address: "", name: "" };
            deliver({
              envelope: {
                from: envelopeAddress(session.envelope.mailFrom),
                to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              },
              from,
              to: addresses(parsed.to).map((a) => a.address),
              subject: parsed.subject ?? "",
              text: parsed.text ?? "",
              html: parsed.html === false ? undefined : parsed.html,
              header: (name) => {
                const value = parsed.headers.get(name.toLowerCase());
                return value === undefined
                  ? undefined
                  : typeof value === "string"
                    ? value
                    : JSON.stringify(value);
              },
              parsed,
            });
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });

  let server = create();
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.server.address() as AddressInfo).port);
      });
    });
  const port = await listen(0);
  let up = true;

  const stopServer = () =>
    new Promise<void>((resolve) => {
      if (!up) return resolve();
      up = false;
      server.close(() => resolve());
    });

  const handle: SmtpTestServer = {
    connectionUri: `smtp://127.0.0.1:${port}/?disable_starttls=true`,
    port,
    get mails() {
      return mails;
    },
    get refused() {
      return refused;
    },
    mailsTo: (address) => mails.filter((m) => m.envelope.to.includes(address.toLowerCase())),
    waitForMail(address, options = {}) {
      const ready = mails.find((m) => !taken.has(m) && m.envelope.to.includes(address.toLowerCase()));
      if (ready) {
        taken.add(ready);
        return Promise.resolve(ready);
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          address,
          resolve: (mail: ReceivedMail) => {
            clearTimeout(timeout);
            resolve(mail);
          },
        };
        const timeout = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no mail to ${address} arrived within ${options.timeoutMs ?? 5000} ms`));
        }, options.timeoutMs ?? 5000);
        waiters.push(waiter);
      });
    },
    failNext(count, code = 451) {
      failures = { remaining: count, code };
    },
    stop: stopServer,
    async restart() {
      if (up) return;
      server = create();
      await listen(port);
      up = true;
    },
    clear() {
      mails.length = 0;
      taken.clear();
    },
    close: stopServer,
  };
  t?.after(() => handle.close());
  return handle;
}
