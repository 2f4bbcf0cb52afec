import type { UiNode, UiText } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { FormValues } from "../../request/body.ts";

/** An address a one-time secret goes to. */
export interface Recipient {
  value: string;
  via: "email" | "sms";
}

/**
 * What a method (code, link) implements for the verification flow (contract §16.3). The flow's
 * engine owns states, CSRF, expiry, attempts and the address update; the method owns its nodes, its
 * secret (a six-digit code or a link token) and the mail that carries it.
 */
export interface VerificationStrategy {
  readonly method: "code" | "link";
  /** The form of a new flow, after the CSRF node: the address input and the submit button. */
  chooseNodes(address?: string): UiNode[];
  /** The form once a secret went out to `address`. */
  sentNodes(address: string): UiNode[];
  /** The message shown once a secret went out. */
  sentMessage(via: Recipient["via"]): UiText;
  /** The secret a submission carries (`code` or `token`), if any. */
  secretOf(values: FormValues): string | undefined;
  /** The message for a wrong, expired or used secret (4070006 code, 4070001 link). */
  invalidMessage(): UiText;
  /** Mints a secret on the flow (not yet stored) and queues the mail to a known address. */
  send(deps: AppDeps, flow: FlowRecord, identity: FullIdentity, to: Recipient): Promise<void>;
}
