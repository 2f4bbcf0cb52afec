import type { UiContainer, UiText } from "./wire.ts";

/** A flow's messages: the global ones, and those of each field by its name (`traits.email`). */
export interface FlowMessages {
  global: UiText[];
  byField: Record<string, UiText[]>;
}

/** Collects a flow's messages by field, so a form can show each under its input. */
export function messagesOf(flow: { ui: UiContainer }): FlowMessages {
  const byField: Record<string, UiText[]> = {};
  for (const node of flow.ui.nodes) {
    const a = node.attributes;
    if (a.node_type !== "input" || node.messages.length === 0) continue;
    byField[a.name] = [...(byField[a.name] ?? []), ...node.messages];
  }
  return { global: flow.ui.messages ?? [], byField };
}
