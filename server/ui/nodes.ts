import type { InputAttributes, InputNode, NodeGroup, UiNode, UiText } from "#shared/ui.ts";

export interface InputOptions {
  value?: unknown;
  required?: boolean;
  autocomplete?: string;
  pattern?: string;
  maxlength?: number;
  options?: { value: unknown }[];
  label?: UiText;
  disabled?: boolean;
}

/** Builds an `input` node with attributes in Kratos's emitted order (contract §3.2). */
export function inputNode(group: NodeGroup, name: string, type: string, opts: InputOptions = {}): InputNode {
  const attributes: InputAttributes = { name, type, disabled: opts.disabled ?? false, node_type: "input" };
  const ordered: InputAttributes = {
    name,
    type,
    ...(opts.value !== undefined ? { value: opts.value } : {}),
    ...(opts.required ? { required: true } : {}),
    ...(opts.autocomplete ? { autocomplete: opts.autocomplete } : {}),
    ...(opts.pattern ? { pattern: opts.pattern } : {}),
    disabled: attributes.disabled,
    ...(opts.maxlength ? { maxlength: opts.maxlength } : {}),
    ...(opts.options ? { options: opts.options } : {}),
    node_type: "input",
  };
  return {
    type: "input",
    group,
    attributes: ordered,
    messages: [],
    meta: opts.label ? { label: opts.label } : {},
  };
}

/** The hidden CSRF node present in every flow, first in the list (contract §3.3). */
export function csrfNode(token: string): InputNode {
  return inputNode("default", "csrf_token", "hidden", { value: token, required: true });
}

export function isInputNode(node: { type: string }): node is InputNode {
  return node.type === "input";
}

/** An anchor node (`type: "a"`), e.g. the "continue" link of a passed verification flow. */
export function anchorNode(group: NodeGroup, id: string, href: string, title: UiText): UiNode {
  return {
    type: "a",
    group,
    attributes: { href, title, id, node_type: "a" },
    messages: [],
    meta: { label: title },
  } as UiNode;
}
