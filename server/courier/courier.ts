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
  | "registration_code.valid";

/** What a flow asks the courier to send; `model` holds the template's variables (Kratos's names: To, VerificationCode, …). */
export interface OutgoingEmail {
  template: TemplateType;
  to: string;
  model: Record<string, unknown>;
}

export interface RenderedEmail {
  subject: string;
  body: string;
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
        templateType: email.template,
        sendCount: 0,
        createdAt: now,
        updatedAt: now,
      };
      await store.enqueueMessage(message);
      return message;
    },
  };
}

/** Placeholder rendering until the template module lands: every model value on its own line. */
export const plainRenderer: EmailRenderer = (email) => ({
  subject: email.template,
  body: Object.entries(email.model)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join("\n"),
});
