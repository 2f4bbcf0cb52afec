import type { UiContainer, UiNode, UiText } from "#shared/ui.ts";
import { attr, html, type SafeHtml, safeUrl } from "./html.ts";

/**
 * Renders any self-service flow from its `ui` container alone, the way a separate Kratos UI would:
 * groups become fieldsets, labels come from `meta.label`, messages sit under their field. Nothing
 * here knows about traits or methods, so a new trait in the identity schema shows up on its own.
 */
export interface RenderFlowOptions {
  /** Prefix for element ids; must be unique on the page. */
  id: string;
  /** One form per group (the settings page) instead of one form for the whole flow. */
  formPerGroup?: boolean;
  /** Legends for group fieldsets; with one form per group every group gets one (a default if unnamed). */
  legends?: Partial<Record<string, string>>;
  /**
   * Groups whose forms validate as the person types (`true`: the single form). The script
   * (/ui/enhance.js) posts the form as JSON with `dry_run`; without script nothing changes.
   */
  live?: boolean | readonly string[];
  /**
   * The account's identifier, put in the password form as a hidden `autocomplete="username"`
   * field, so password managers store the new password for the right account.
   */
  username?: string;
}

const DEFAULT_LEGENDS: Record<string, string> = {
  default: "Account",
  profile: "Profile",
  password: "Change password",
  oidc: "Sign-in providers",
  code: "One-time code",
  totp: "Authenticator app",
  lookup_secret: "Backup recovery codes",
  webauthn: "Security keys",
  passkey: "Passkeys",
  link: "Links",
};

type Attributes = Record<string, unknown> & { node_type?: string };

const attrsOf = (node: UiNode): Attributes => node.attributes as unknown as Attributes;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function isHidden(node: UiNode): boolean {
  const a = attrsOf(node);
  return a.node_type === "input" && a.type === "hidden";
}

/** The flow's global messages: errors in an alert region, info and success in a status region. */
export function renderGlobalMessages(messages: readonly UiText[] | undefined): string {
  return globalMessages(messages).value;
}

function globalMessages(messages: readonly UiText[] | undefined): SafeHtml {
  if (!messages || messages.length === 0) return html``;
  const errors = messages.filter((m) => m.type === "error");
  const others = messages.filter((m) => m.type !== "error");
  const kind = others.some((m) => m.type === "success") ? "success" : "info";
  return html`${errors.length > 0 ? html`<div class="messages messages--error" role="alert">${errors.map((m) => messageP(m))}</div>\n` : ""}${others.length > 0 ? html`<div class="messages messages--${kind}" role="status">${others.map((m) => messageP(m))}</div>\n` : ""}`;
}

function messageP(m: UiText, id?: string): SafeHtml {
  return html`<p${attr("id", id)} class="message message--${m.type}" data-message-id="${m.id}">${m.text}</p>`;
}

/**
 * Renders the global messages and the form(s) of a flow's UI container, with the `html` template
 * (every value escaped; tests/ui-pages/render-flow.test.ts feeds it hostile nodes).
 */
export function renderFlow(ui: UiContainer, options: RenderFlowOptions): string {
  return renderFlowHtml(ui, options).value;
}

/** `renderFlow` for the page templates. */
export function renderFlowHtml(ui: UiContainer, options: RenderFlowOptions): SafeHtml {
  const ids = new IdAllocator(options.id);
  const messages = globalMessages(ui.messages);
  if (!options.formPerGroup) {
    return html`${messages}${renderForm(ui, ui.nodes, `${options.id}-form`, ids, options.legends ?? {}, {
      live: options.live === true,
    })}`;
  }
  // Kratos UIs render one form per method; each carries the hidden default inputs (the CSRF token).
  const shared = ui.nodes.filter((n) => n.group === "default" && isHidden(n));
  const groups = new Map<string, UiNode[]>();
  for (const node of ui.nodes) {
    if (shared.includes(node)) continue;
    const list = groups.get(node.group) ?? [];
    list.push(node);
    groups.set(node.group, list);
  }
  if (groups.size === 0 && shared.length > 0) groups.set("default", []);
  const out: SafeHtml[] = [messages];
  for (const [group, nodes] of groups) {
    const legends = { [group]: options.legends?.[group] ?? DEFAULT_LEGENDS[group] ?? titleCase(group) };
    out.push(
      renderForm(ui, [...shared, ...nodes], `${options.id}-form-${group}`, ids, legends, {
        live: isLive(options, group),
        ...(group === "password" && options.username ? { username: options.username } : {}),
      }),
    );
  }
  return html`${out}`;
}

function isLive(options: RenderFlowOptions, group: string): boolean {
  return options.live === true || (Array.isArray(options.live) && options.live.includes(group));
}

function renderForm(
  ui: UiContainer,
  nodes: readonly UiNode[],
  formId: string,
  ids: IdAllocator,
  legends: Partial<Record<string, string>>,
  extra: { live: boolean; username?: string },
): SafeHtml {
  const method = ui.method.toUpperCase() === "GET" ? "get" : "post";
  const action = safeUrl(ui.action) ?? "";
  const id = ids.exact(formId);
  const hidden = nodes.filter(isHidden).map((node) => renderHidden(node, ids));
  // Not submitted (no name) and not shown; password managers read it to pair the new password.
  let username: SafeHtml | "" = "";
  if (extra.username !== undefined) {
    const hintId = ids.unique("username-hint");
    username = html`<div hidden><label for="${hintId}">Username</label><input type="email" id="${hintId}" value="${extra.username}" autocomplete="username" readonly tabindex="-1"></div>\n`;
  }
  // Consecutive visible nodes of one group share a fieldset.
  const runs: { group: string; nodes: UiNode[] }[] = [];
  for (const node of nodes) {
    if (isHidden(node)) continue;
    const last = runs[runs.length - 1];
    if (last && last.group === node.group) last.nodes.push(node);
    else runs.push({ group: node.group, nodes: [node] });
  }
  const fieldsets = runs.map((run) => {
    const legend = legends[run.group];
    const inner = run.nodes.map((n) => renderNode(n, ids));
    return html`<fieldset class="group group--${slug(run.group)}">\n${legend ? html`<legend>${legend}</legend>\n` : ""}${inner}</fieldset>\n`;
  });
  // novalidate: the server validates and its messages are tied to their fields, which is more
  // accessible than the browser's transient bubbles; required/pattern/type still inform assistive tech.
  return html`<form id="${id}" class="flow-form" action="${action}" method="${method}"${attr("data-live-validation", extra.live && method === "post")} novalidate>\n${hidden}${username}${fieldsets}</form>\n`;
}

function renderHidden(node: UiNode, ids: IdAllocator): SafeHtml {
  const a = attrsOf(node);
  const input = html`<input type="hidden"${attr("name", str(a.name))}${attr("value", valueText(a.value) ?? "")}>\n`;
  // A message on a hidden field (rare) has no field to sit under; show it where the form starts.
  if (node.messages.length === 0) return input;
  const id = ids.unique(`${str(a.name) ?? "hidden"}-messages`);
  return html`${input}<div id="${id}" class="field-messages">${node.messages.map((m) => messageP(m))}</div>\n`;
}

function renderNode(node: UiNode, ids: IdAllocator): SafeHtml | "" {
  const a = attrsOf(node);
  switch (a.node_type) {
    case "input":
      return renderInput(node, a, ids);
    case "text":
      return renderText(node, a, ids);
    case "img": {
      const src = safeUrl(str(a.src) ?? "", { allowDataImage: true });
      if (!src) return "";
      const alt = node.meta.label?.text ?? "";
      return html`<figure class="field field--img"><img${attr("id", ids.unique(str(a.id) ?? "img"))} src="${src}" alt="${alt}"${attr("width", numberOr(a.width))}${attr("height", numberOr(a.height))}>${alt ? html`<figcaption>${alt}</figcaption>` : ""}</figure>\n`;
    }
    case "a": {
      const href = safeUrl(str(a.href) ?? "");
      if (!href) return "";
      const title = (a.title as UiText | undefined)?.text ?? node.meta.label?.text ?? href;
      return html`<p class="field field--link"><a${attr("id", ids.unique(str(a.id) ?? "link"))} href="${href}">${title}</a></p>\n`;
    }
    case "script": {
      const src = safeUrl(str(a.src) ?? "");
      if (!src || !/^(https:|\/)/.test(src)) return "";
      return html`<script src="${src}"${attr("async", a.async === true)}${attr("integrity", str(a.integrity))}${attr("crossorigin", str(a.crossorigin))}${attr("referrerpolicy", str(a.referrerpolicy))}${attr("nonce", str(a.nonce))}${attr("id", str(a.id))}></script>\n`;
    }
    case "div":
      return html`<div${attr("id", str(a.id))}${attr("class", str(a.class))}></div>\n`;
    default:
      return "";
  }
}

function renderText(node: UiNode, a: Attributes, ids: IdAllocator): SafeHtml {
  const text = a.text as UiText | undefined;
  const id = ids.unique(str(a.id) ?? "text");
  const label = node.meta.label?.text;
  const secrets = (text?.context as { secrets?: { text?: unknown }[] } | undefined)?.secrets;
  const body = Array.isArray(secrets)
    ? html`<ul class="codes">${secrets.map((s) => html`<li><code>${String(s?.text ?? "")}</code></li>`)}</ul>`
    : html`<p id="${id}" class="text-value">${text?.text ?? ""}</p>`;
  return html`<div class="field field--text">${label ? html`<p class="label">${label}</p>` : ""}${body}</div>\n`;
}

function renderInput(node: UiNode, a: Attributes, ids: IdAllocator): SafeHtml {
  const name = str(a.name) ?? "";
  const type = str(a.type) ?? "text";
  const label = node.meta.label?.text ?? (a.label as UiText | undefined)?.text ?? fallbackLabel(name);
  const id = ids.unique(name || "field");
  const messageIds = node.messages.map((_, i) => `${id}-message-${i}`);
  const invalid = node.messages.some((m) => m.type === "error");
  const described = messageIds.length > 0 ? messageIds.join(" ") : undefined;
  const messages = node.messages.map((m, i) => messageP(m, messageIds[i]));
  // The first field with an error takes the focus when the page loads (no script needed).
  const focus = invalid && ids.claimFocus();
  const common = html`${attr("id", id)}${attr("name", name)}${attr("disabled", a.disabled === true)}${attr("aria-describedby", described)}${attr("aria-invalid", invalid ? "true" : undefined)}${attr("autofocus", focus)}`;

  if (type === "submit" || type === "button") {
    const value = valueText(a.value);
    const cls = type === "submit" ? "button" : "button button--secondary";
    // A provider button submits without the other methods' fields, so their `required` must not block it.
    const skipValidation = type === "submit" && node.group === "oidc";
    return html`<div class="field field--${type}"><button type="${type}"${common}${attr("value", value)}${attr("formnovalidate", skipValidation)}${attr("class", cls)}>${label}</button>${messages}</div>\n`;
  }

  const required = a.required === true;
  const fieldClass = `field field--${slug(type)}${invalid ? " field--invalid" : ""}`;
  const labelHtml = html`<label for="${id}">${label}${required ? "" : html` <span class="optional">(optional)</span>`}</label>`;

  if (type === "checkbox") {
    const checked = a.value === true || a.value === "true";
    return html`<div class="${fieldClass}"><input type="checkbox"${common} value="true"${attr("checked", checked)}${attr("required", required)}>${labelHtml}${messages}</div>\n`;
  }

  const options = Array.isArray(a.options) ? (a.options as { value?: unknown }[]) : undefined;
  if (options && options.length > 0) {
    const current = valueText(a.value);
    const empty = required && current !== undefined ? "" : html`<option value="">Choose…</option>`;
    const opts = options.map((o) => {
      const v = valueText(o.value) ?? "";
      return html`<option value="${v}"${attr("selected", v === current)}>${v}</option>`;
    });
    return html`<div class="${fieldClass}">${labelHtml}<select${common}${attr("required", required)}>${empty}${opts}</select>${messages}</div>\n`;
  }

  const value = type === "password" ? undefined : valueText(a.value);
  const pattern = str(a.pattern);
  const input = html`<input type="${type}"${common}${attr("value", value)}${attr("required", required)}${attr("autocomplete", str(a.autocomplete))}${attr("pattern", pattern ? htmlPattern(pattern) : undefined)}${attr("maxlength", numberOr(a.maxlength))}>`;
  return html`<div class="${fieldClass}">${labelHtml}${input}${messages}</div>\n`;
}

/** A node value as form text; objects and arrays as JSON (how Kratos decodes them back). */
function valueText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function numberOr(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * JSON Schema patterns match anywhere in the value; HTML's `pattern` must match the whole value.
 * Wrapping in `.*(?:…).*` keeps the schema's meaning (anchors inside still work).
 */
export function htmlPattern(pattern: string): string {
  if (pattern.startsWith("^") && pattern.endsWith("$") && !pattern.endsWith("\\$")) return pattern;
  return `.*(?:${pattern}).*`;
}

/** A label for an input the flow gave none: its name without `traits.`, in words. */
function fallbackLabel(name: string): string {
  const words = name
    .replace(/^traits\./, "")
    .replace(/[._-]+/g, " ")
    .trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : "Value";
}

function titleCase(s: string): string {
  const words = s.replace(/[_-]+/g, " ");
  return words ? words[0]!.toUpperCase() + words.slice(1) : s;
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, "-");
}

/** Unique element ids on one page, derived from node names. */
class IdAllocator {
  readonly #used = new Set<string>();
  #focusTaken = false;
  constructor(private readonly prefix: string) {}

  /** True once per page: for the first field that should take the focus. */
  claimFocus(): boolean {
    if (this.#focusTaken) return false;
    this.#focusTaken = true;
    return true;
  }

  /** Reserves an id as given (already prefixed), suffixing it only if taken. */
  exact(id: string): string {
    let out = id;
    for (let i = 2; this.#used.has(out); i++) out = `${id}-${i}`;
    this.#used.add(out);
    return out;
  }

  unique(name: string): string {
    return this.exact(`${this.prefix}-${slug(name).replace(/^-+|-+$/g, "") || "field"}`);
  }
}
