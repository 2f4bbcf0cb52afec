import type { UiContainer, UiText } from "#shared/ui.ts";
import type { FlowRecord } from "../../../db/store.ts";
import { isDecodeError, jsonToFormValues } from "../../decoding/form-values.ts";
import type { FormValues, ParsedBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors, type HttpError } from "../../request/errors.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { uiOf } from "./record.ts";

/** A message for a node (by dot path, e.g. "traits.email" or "password") or global when path is "". */
export interface FlowIssue {
  path: string;
  message: UiText;
}

/** A copy of the UI with every node message and the global messages removed. */
export function clearMessages(ui: UiContainer, only?: (name: string) => boolean): UiContainer {
  const { messages: _dropped, ...rest } = ui;
  return {
    ...rest,
    nodes: ui.nodes.map((n) => {
      const name = n.attributes.node_type === "input" ? n.attributes.name : "";
      return only && !only(name) ? n : { ...n, messages: [] };
    }),
  };
}

/**
 * Renders issues into a UI (contract §8.1): each message is appended to the node with its path, or
 * to `ui.messages` for the empty path; a path without a node gets a new text input in `default`.
 */
export function renderError(ui: UiContainer, issues: readonly FlowIssue[]): UiContainer {
  for (const { path, message } of issues) {
    if (!path) {
      ui.messages = [...(ui.messages ?? []), message];
      continue;
    }
    const node = ui.nodes.find((n) => n.attributes.node_type === "input" && n.attributes.name === path);
    if (node) node.messages = [...node.messages, message];
    else ui.nodes.push({ ...inputNode("default", path, "text"), messages: [message] });
  }
  return ui;
}

/** "JSON follows form format" (contract §5.2): both body kinds become form values for the decoders. */
export function toFormValues(body: ParsedBody): FormValues {
  if (body.kind === "form") return body.values;
  const values = jsonToFormValues(body.value);
  if (isDecodeError(values)) throw errors.badRequest(values.reason);
  return values;
}

/** A 400 rendered into a flow: message 4000001 with the error's reason (contract §8.1). */
export function reasonMessage(err: HttpError): UiText {
  const reason = err.reason ?? err.message;
  return message(4000001, [reason], { reason });
}

/** Re-masks the CSRF token on every render of a browser flow (contract §3.3). */
export function refreshCsrf(ctx: RequestContext, flow: FlowRecord): void {
  if (flow.type !== "browser") return;
  for (const n of uiOf(flow).nodes) {
    if (n.attributes.node_type === "input" && n.attributes.name === "csrf_token") {
      n.attributes.value = ctx.maskedCsrf();
    }
  }
}
