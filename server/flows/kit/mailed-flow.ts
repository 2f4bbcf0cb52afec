import type { UiText } from "#shared/ui.ts";
import type { FlowRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { HttpError } from "../../request/errors.ts";
import { message } from "../../ui/messages.ts";
import { clearMessages, type FlowIssue, renderError } from "./form.ts";
import type { FlowOutcome } from "./outcome.ts";
import { expiredMessageArgs, setUi, uiOf } from "./record.ts";
import { FlowSubmission } from "./submission.ts";

/** What tells a mailed flow's kind apart: its name, expiry message, how one is built and shown. */
export interface MailedFlowKind {
  /** `verification` or `recovery`: the path of the flow's fetch endpoint. */
  readonly flowName: "verification" | "recovery";
  /** The message on the flow that replaces an expired one (4070005, 4060005). */
  readonly expiredMessageId: 4070005 | 4060005;
  /** A new flow of this kind showing `messages`. */
  build(
    deps: AppDeps,
    ctx: RequestContext,
    opts: { type: "browser" | "api"; requestUrl: string; returnTo: string | undefined; messages: UiText[] },
  ): FlowRecord;
  toJson(flow: FlowRecord): unknown;
}

/**
 * What verification and recovery submissions share (Kratos's flows that send a secret by mail):
 * replacing the flow with a message, replacing an expired flow, and showing issues in the flow.
 */
export abstract class MailedFlowSubmission extends FlowSubmission {
  abstract readonly kind: MailedFlowKind;

  flowJson(flow: FlowRecord): unknown {
    return this.kind.toJson(flow);
  }

  /** A new flow of this kind, same type, request URL and return_to, showing `messages`. */
  async #replace(messages: UiText[]): Promise<FlowRecord> {
    const { flow } = this;
    const next = this.kind.build(this.deps, this.ctx, {
      type: flow.type,
      requestUrl: flow.requestUrl,
      returnTo: flow.returnTo ?? undefined,
      messages,
    });
    await this.deps.store.createFlow(next);
    return next;
  }

  /** A fresh flow with a message, replacing this one (Kratos's retry): 410 + use_flow_id for JSON. */
  async retry(text: UiText): Promise<FlowOutcome> {
    const next = await this.#replace([text]);
    if (this.json) {
      return {
        kind: "error",
        error: new HttpError(410, {
          id: "self_service_flow_replaced",
          reason: text.text,
          message: "self-service flow replaced",
          extra: { use_flow_id: next.id },
        }),
      };
    }
    return { kind: "form", flow: next, body: this.flowJson(next), status: 400 };
  }

  /** An expired flow is replaced by one with the expiry message; JSON callers are sent to fetch it (Kratos). */
  async replaceExpired(): Promise<FlowOutcome> {
    const { args, context } = expiredMessageArgs(this.deps, this.flow);
    const next = await this.#replace([message(this.kind.expiredMessageId, args, context)]);
    if (this.json) {
      const to = new URL(`self-service/${this.kind.flowName}/flows`, this.deps.config.publicBase);
      to.searchParams.set("id", next.id);
      return { kind: "redirect", to: to.toString(), status: 303 };
    }
    return { kind: "form", flow: next, body: this.flowJson(next), status: 400 };
  }

  /** The flow again with these messages and a fresh CSRF token (400). */
  async fail(issues: readonly FlowIssue[]): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const ui = clearMessages(uiOf(flow));
    renderError(ui, issues);
    for (const n of ui.nodes) {
      const a = n.attributes;
      if (a.node_type === "input" && a.name === "csrf_token" && flow.type === "browser")
        a.value = ctx.maskedCsrf();
    }
    setUi(flow, ui);
    flow.updatedAt = deps.clock.now();
    await deps.store.updateFlow(flow);
    return { kind: "form", flow, body: this.flowJson(flow), status: 400 };
  }
}

/**
 * Keeps a submission's `transient_payload` (a JSON object) on the flow, where the mail templates
 * and web hooks read it; anything else is ignored, as a template could not use it.
 */
export function keepTransientPayload(flow: FlowRecord, values: FormValues): void {
  const raw = values.get("transient_payload")?.[0];
  if (!raw) return;
  try {
    const parsed = JSON.parse(raw);
    if (parsed && typeof parsed === "object")
      flow.internalContext = { ...flow.internalContext, transient_payload: parsed };
  } catch {
    // Not JSON: ignored.
  }
}
