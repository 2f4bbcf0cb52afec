/**
 * Renders a settings flow's `ui` container with plain DOM calls (no innerHTML, so nothing the server
 * sends is ever parsed as markup). Like any Kratos UI it knows nothing about the identity schema:
 * every input node becomes a labelled field, so a new trait shows up without code changes.
 */
import type { SettingsFlow, UiNode, UiText } from "@tessera/client";

export type { SettingsFlow, UiNode, UiText };

interface InputAttrs {
  node_type: "input";
  name: string;
  type: string;
  value?: unknown;
  required?: boolean;
  autocomplete?: string;
  disabled: boolean;
  maxlength?: number;
  label?: UiText;
}

export function inputAttrs(node: UiNode): InputAttrs | undefined {
  const a = node.attributes as { node_type: string };
  return a.node_type === "input" ? (a as InputAttrs) : undefined;
}

const LEGENDS: Record<string, string> = { profile: "Profile", password: "Password" };

/** `el("p", { class: "x" }, "text", child)`: a small helper for building DOM trees. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: (Node | string | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child !== undefined) node.append(child);
  return node;
}

function messageP(m: UiText, id?: string): HTMLParagraphElement {
  return el("p", { id, class: `message message--${m.type}`, "data-message-id": String(m.id) }, m.text);
}

/** The flow's global messages: errors in an alert region, info and success in a status region. */
export function renderGlobalMessages(messages: readonly UiText[] | undefined): HTMLElement | undefined {
  if (!messages || messages.length === 0) return undefined;
  const box = el("div", { class: "global-messages" });
  const errors = messages.filter((m) => m.type === "error");
  const others = messages.filter((m) => m.type !== "error");
  if (errors.length > 0) {
    box.append(
      el("div", { class: "messages messages--error", role: "alert" }, ...errors.map((m) => messageP(m))),
    );
  }
  if (others.length > 0) {
    const kind = others.some((m) => m.type === "success") ? "success" : "info";
    box.append(
      el("div", { class: `messages messages--${kind}`, role: "status" }, ...others.map((m) => messageP(m))),
    );
  }
  return box;
}

/** A note the app itself shows (not from the flow): network problems, expired forms, … */
export function notice(kind: "error" | "info", text: string): HTMLElement {
  return el(
    "div",
    { class: `messages messages--${kind}`, role: kind === "error" ? "alert" : "status" },
    el("p", { class: `message message--${kind}` }, text),
  );
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
}

function valueText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string"
    ? value
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);
}

function labelOf(node: UiNode, a: InputAttrs): string {
  const text = node.meta.label?.text ?? a.label?.text;
  if (text) return text;
  const words = a.name.replace(/^traits\./, "").replace(/[._-]+/g, " ");
  return words ? words[0]!.toUpperCase() + words.slice(1) : "Value";
}

/** One labelled input with its messages below it, tied to it through `aria-describedby`. */
function renderInput(node: UiNode, a: InputAttrs, idPrefix: string): HTMLElement {
  const id = `${idPrefix}-${slug(a.name) || "field"}`;
  const messageIds = node.messages.map((_, i) => `${id}-message-${i}`);
  const invalid = node.messages.some((m) => m.type === "error");
  const messages = node.messages.map((m, i) => messageP(m, messageIds[i]));

  if (a.type === "submit" || a.type === "button") {
    return el(
      "div",
      { class: "field field--submit" },
      el(
        "button",
        { type: a.type, id, name: a.name, value: valueText(a.value), class: "button", disabled: a.disabled },
        labelOf(node, a),
      ),
      ...messages,
    );
  }

  const input = el("input", {
    id,
    name: a.name,
    type: a.type,
    required: a.required === true,
    autocomplete: a.autocomplete,
    disabled: a.disabled,
    maxlength: a.maxlength ? String(a.maxlength) : undefined,
    "aria-describedby": messageIds.length > 0 ? messageIds.join(" ") : undefined,
    "aria-invalid": invalid ? "true" : undefined,
  });
  if (a.type === "checkbox") {
    input.checked = a.value === true || a.value === "true";
  } else if (a.type !== "password") {
    // Passwords are never echoed back into the page.
    input.value = valueText(a.value) ?? "";
  }
  const label = el("label", { for: id }, labelOf(node, a));
  if (a.required !== true) label.append(" ", el("span", { class: "optional" }, "(optional)"));
  return el(
    "div",
    { class: `field field--${slug(a.type)}${invalid ? " field--invalid" : ""}` },
    label,
    input,
    ...messages,
  );
}

/**
 * One form per method group (profile, password, …), as Kratos UIs do; each carries the hidden
 * inputs of the `default` group (the CSRF token). Nothing is posted by the browser itself: the app
 * listens for `submit` and sends the values through the typed client.
 */
export function renderGroupForms(flow: SettingsFlow): HTMLFormElement[] {
  const hidden = flow.ui.nodes.filter((n) => n.group === "default" && inputAttrs(n)?.type === "hidden");
  const groups = new Map<string, UiNode[]>();
  for (const node of flow.ui.nodes) {
    if (hidden.includes(node)) continue;
    const list = groups.get(node.group) ?? [];
    list.push(node);
    groups.set(node.group, list);
  }
  const forms: HTMLFormElement[] = [];
  for (const [group, nodes] of groups) {
    const form = el("form", { id: `spa-${slug(group)}`, class: "flow-form", novalidate: true });
    form.dataset.group = group;
    for (const node of hidden) {
      const a = inputAttrs(node)!;
      const input = el("input", { type: "hidden", name: a.name });
      input.value = valueText(a.value) ?? "";
      form.append(input);
      // A message on a hidden field has no field to sit under: show it where the form starts.
      if (node.messages.length > 0) form.append(...node.messages.map((m) => messageP(m)));
    }
    const fieldset = el(
      "fieldset",
      { class: `group group--${slug(group)}` },
      el("legend", {}, LEGENDS[group] ?? group),
    );
    if (group === "password") {
      // Tells password managers whose password this is; not sent (no name).
      const username = el("input", { type: "text", autocomplete: "username", hidden: true, readonly: true });
      username.value = usernameOf(flow);
      fieldset.append(username);
    }
    for (const node of nodes) {
      const a = inputAttrs(node);
      if (a) fieldset.append(renderInput(node, a, slug(group)));
      else if ((node.attributes as { node_type: string }).node_type === "text") {
        const t = node.attributes as { text?: UiText };
        if (t.text) fieldset.append(el("p", { class: "text-value" }, t.text.text));
      }
    }
    form.append(fieldset);
    forms.push(form);
  }
  return forms;
}

/** The identity's login identifier as shown to password managers: the email trait, else the id. */
function usernameOf(flow: SettingsFlow): string {
  const email = (flow.identity.traits as { email?: unknown }).email;
  return typeof email === "string" ? email : flow.identity.id;
}

/**
 * The traits a profile form holds, as the nested object the JSON body wants:
 * `traits.name.first` becomes `{ name: { first } }`. Empty optional fields are left out (which
 * clears them, exactly as an empty field does in a form post); checkboxes become booleans and
 * number inputs numbers, following the node types the server sent.
 */
export function traitsFromForm(form: HTMLFormElement, flow: SettingsFlow): Record<string, unknown> {
  const traits: Record<string, unknown> = {};
  for (const node of flow.ui.nodes) {
    const a = inputAttrs(node);
    if (!a?.name.startsWith("traits.") || a.type === "hidden") continue;
    const field = form.elements.namedItem(a.name);
    if (!(field instanceof HTMLInputElement)) continue;
    let value: unknown;
    if (a.type === "checkbox") value = field.checked;
    else if (field.value === "") continue;
    else if (a.type === "number") value = Number(field.value);
    else value = field.value;
    const path = a.name.slice("traits.".length).split(".");
    let target = traits;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      if (typeof next !== "object" || next === null) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    target[path[path.length - 1]!] = value;
  }
  return traits;
}
