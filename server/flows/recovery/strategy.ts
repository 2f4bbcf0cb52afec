import type { UiNode, UiText } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { FormValues } from "../../request/body.ts";
import type { Recipient } from "../verification/strategy.ts";

/**
 * What a method (code, link) implements for the recovery flow. The engine owns states, CSRF, expiry,
 * attempts, the session it issues and the privileged settings flow it continues with.
 */
export interface RecoveryStrategy {
  readonly method: "code" | "link";
  chooseNodes(address?: string): UiNode[];
  sentNodes(address: string): UiNode[];
  sentMessage(): UiText;
  secretOf(values: FormValues): string | undefined;
  /** 4060006 (code) or 4060004 (link). */
  invalidMessage(): UiText;
  /** Mints a secret on the flow and queues the mail; `raw` lets the admin API mint its own. */
  send(deps: AppDeps, flow: FlowRecord, identity: FullIdentity, to: Recipient): Promise<void>;
  /** The admin API's secret for an identity (POST /admin/recovery/{code,link}), stored on the flow. */
  mintForAdmin(deps: AppDeps, flow: FlowRecord, identity: FullIdentity, lifespanMs: number): string;
}
