import type { CourierMessageRecord, Store } from "../../db/store.ts";

/**
 * Reads the mails the flows sent, from the courier queue. Kept to this one seam so the tests can
 * read from a real SMTP listener instead once the dispatcher delivers the queue.
 */

export interface Mail {
  to: string;
  subject: string;
  body: string;
  template: string;
  /** The six-digit code in the body, if any. */
  code?: string;
  /** The first self-service link in the body (verification or recovery), if any. */
  link?: string;
}

/** The courier stores Kratos's wire name (`verification_code_valid`); the flows queue `verification_code.valid`. */
function templateOf(m: CourierMessageRecord): string {
  return m.templateType.replace(/_(valid|invalid)$/, ".$1");
}

function toMail(m: CourierMessageRecord): Mail {
  const code = /(?:^|[\s>:])(\d{6})(?=\s|<|$)/m.exec(m.body)?.[1];
  const link = /https?:\/\/[^\s"'<>]+\/self-service\/(?:verification|recovery)\?[^\s"'<>]+/.exec(m.body)?.[0];
  return {
    to: m.recipient,
    subject: m.subject,
    body: m.body,
    template: templateOf(m),
    ...(code ? { code } : {}),
    ...(link ? { link: link.replaceAll("&amp;", "&") } : {}),
  };
}

/** Every mail queued so far, oldest first. */
export async function allMails(store: Store): Promise<Mail[]> {
  const messages = await store.listMessages({ limit: 1000 });
  return [...messages].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()).map(toMail);
}

/** All mails to one address (of one template, if given), oldest first. */
export async function mailsTo(store: Store, to: string, template?: string): Promise<Mail[]> {
  return (await allMails(store)).filter(
    (m) => m.to === to && (template === undefined || m.template === template),
  );
}

/** Ids already handed out per store: with a frozen test clock many mails share one timestamp. */
const handedOut = new WeakMap<Store, Set<string>>();

/**
 * The newest mail to an address; fails the test when there is none. Among mails queued at the same
 * instant, one not handed out before wins, so consecutive sends each yield their own mail.
 */
export async function latestMail(store: Store, to: string, template?: string): Promise<Mail> {
  const messages = (await store.listMessages({ limit: 1000 })).filter(
    (m) => m.recipient === to && (template === undefined || templateOf(m) === template),
  );
  if (messages.length === 0) throw new Error(`no mail to ${to} was queued`);
  const seen = handedOut.get(store) ?? new Set<string>();
  handedOut.set(store, seen);
  const newest = Math.max(...messages.map((m) => m.createdAt.getTime()));
  const candidates = messages.filter((m) => m.createdAt.getTime() === newest);
  const pick = candidates.find((m) => !seen.has(m.id)) ?? candidates.at(-1)!;
  seen.add(pick.id);
  return toMail(pick);
}
