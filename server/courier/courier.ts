import { randomUUID } from "node:crypto";
import type { CourierMessageRecord, Store } from "../../db/store.ts";
import type { Clock } from "../clock.ts";

/** Kratos's courier template names (courier/template/email/*). */
export type TemplateType =
  | "verification_code.valid"
  | "verification_code.invalid"
  | "verification.valid"
  | "verification.invalid"
  | "recovery_code.valid"
  | "recovery_code.invalid"
  | "recovery.valid"
  | "recovery.invalid"
  | "login_code.valid"
  | "registration_code.valid"
  /** Kratos master's notice to previous addresses; Tessera adds `RevertURL`, `RevertExpiresAt`. */
  | "verifiable_address_changed";

/** What a flow asks the courier to send; `model` holds the template's variables (Kratos's names: To, VerificationCode, …). */
export interface OutgoingEmail {
  template: TemplateType;
  to: string;
  model: Record<string, unknown>;
}

export interface RenderedEmail {
  subject: string;
  /** The plaintext body (what Kratos stores as the message's `body`). */
  body: string;
  /** The HTML alternative, sent beside the plaintext when present. */
  html?: string;
}

/** Turns a template and its model into the stored subject and body. */
export type EmailRenderer = (email: OutgoingEmail) => RenderedEmail | Promise<RenderedEmail>;

/** The flows' only door to mail: messages are rendered and queued; a dispatcher sends them. */
export interface Courier {
  queueEmail(email: OutgoingEmail): Promise<CourierMessageRecord>;
}

export function createQueueingCourier(store: Store, clock: Clock, render: EmailRenderer): Courier {
  return {
    async queueEmail(email) {
      const rendered = await render(email);
      const now = clock.now();
      const message: CourierMessageRecord = {
        id: randomUUID(),
        type: "email",
        status: "queued",
        recipient: email.to,
        subject: rendered.subject,
        body: rendered.body,
        htmlBody: rendered.html ?? null,
        templateType: wireTemplateType(email.template),
        sendCount: 0,
        createdAt: now,
        updatedAt: now,
        sendAfter: null,
      };
      await store.enqueueMessage(message);
      return message;
    },
  };
}

/** Kratos's `template_type` on the wire: `verification_code.valid` → `verification_code_valid`. */
export function wireTemplateType(template: TemplateType): string {
  return template.replace(".", "_");
}

/** Placeholder rendering until the template module lands: every model value on its own line. */
export const plainRenderer: EmailRenderer = (email) => ({
  subject: email.template,
  body: Object.entries(email.model)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join("\n"),
});
