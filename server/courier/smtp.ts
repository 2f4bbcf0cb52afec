import { readFileSync } from "node:fs";
import type { Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type { Config } from "../config/schema.ts";

/** One email as the dispatcher hands it to a transport. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string | undefined;
}

/** Where mail goes; the dispatcher only needs this, so another channel can replace SMTP. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * A failed delivery: `permanent` ones (SMTP 5xx, as Kratos decides; a bad address) are not
 * retried; `unreachable` means no SMTP conversation took place (refused, timed out, TLS failed).
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly kind: "permanent" | "transient" | "unreachable",
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
}

/** nodemailer's codes for failures before a mail could be handed over (no connection, no TLS). */
const CONNECTION_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ETLS"]);

/**
 * Kratos abandons a message only on an SMTP reply >= 500 during the transaction; a connection
 * or TLS failure (even one answered with 5xx, like a refused STARTTLS) is retried.
 */
function failureKind(err: NodemailerError): DeliveryError["kind"] {
  if ((err.code && CONNECTION_CODES.has(err.code)) || typeof err.responseCode !== "number")
    return "unreachable";
  return err.responseCode >= 500 ? "permanent" : "transient";
}

/** Go's strconv.ParseBool, which Kratos uses for the connection URI's flags. */
function goBool(value: string | null): boolean {
  return value !== null && ["1", "t", "T", "TRUE", "true", "True"].includes(value);
}

/**
 * nodemailer options from Kratos's `courier.smtp`: `smtp://` uses mandatory STARTTLS unless
 * `?disable_starttls=true`; `smtps://` is TLS from the first byte; `skip_ssl_verify=true` accepts
 * any certificate; `server_name` sets the name checked on the certificate; credentials come from
 * the URI's user info. Connections time out after 10 s, like Kratos's dialer.
 */
export function smtpOptions(smtp: Config["courier"]["smtp"]): SMTPTransport.Options {
  const uri = new URL(smtp.connection_uri);
  const query = uri.searchParams;
  const smtps = uri.protocol === "smtps:";
  const tls: SMTPTransport.Options["tls"] = {
    rejectUnauthorized: !goBool(query.get("skip_ssl_verify")),
    servername: query.get("server_name") || uri.hostname,
    minVersion: "TLSv1.2",
  };
  if (smtp.client_cert_path && smtp.client_key_path) {
    tls.cert = readFileSync(smtp.client_cert_path);
    tls.key = readFileSync(smtp.client_key_path);
  }
  const startTls = !smtps && !goBool(query.get("disable_starttls"));
  const username = decodeURIComponent(uri.username);
  return {
    host: uri.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: uri.port ? Number(uri.port) : smtps ? 465 : 25,
    secure: smtps,
    ...(smtps ? {} : startTls ? { requireTLS: true } : { ignoreTLS: true }),
    tls,
    name: smtp.local_name,
    ...(username ? { auth: { user: username, pass: decodeURIComponent(uri.password) } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
}

/** Sends through SMTP with the configured sender and extra headers. */
export function smtpTransport(smtp: Config["courier"]["smtp"]): MailTransport {
  const options = smtpOptions(smtp);
  // nodemailer is loaded on the first mail, not while the server starts.
  let transporter: Transporter<SMTPTransport.SentMessageInfo> | undefined;
  const from = smtp.from_name ? { name: smtp.from_name, address: smtp.from_address } : smtp.from_address;
  return {
    async send(mail) {
      transporter ??= (await import("nodemailer")).default.createTransport(options);
      try {
        await transporter.sendMail({
          from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          ...(mail.html ? { html: mail.html } : {}),
          ...(smtp.headers ? { headers: smtp.headers } : {}),
        });
      } catch (err) {
        throw new DeliveryError((err as Error).message, failureKind(err as NodemailerError));
      }
    },
    close: () => transporter?.close(),
  };
}
