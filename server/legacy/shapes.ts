import type { SettingsFlowJson } from "#shared/flows.ts";
import type {
  LegacyError,
  LegacyField,
  LegacyForm,
  LegacyIdentity,
  LegacyProfileRequest,
  LegacySettingsRequest,
} from "#shared/legacy.ts";
import type { UiNode, UiText } from "#shared/ui.ts";
import { legacyPaths } from "./paths.ts";

/**
 * Today's settings flow seen as a v0.1 profile request or a v0.2 settings request (contract §19).
 * Pure translation: every value comes from the flow the engine produced; nothing is decided here.
 */

/** Input types the seeds show: a string trait is a "text" field whatever its format (seed 001). */
function legacyType(type: string): string {
  return ["hidden", "password", "checkbox", "number"].includes(type) ? type : "text";
}

/** Message texts worded as the seeds show them; anything else keeps today's text. */
function legacyText(message: UiText): string {
  const ctx = message.context ?? {};
  switch (message.id) {
    case 4000003:
      return `Must be at least ${String(ctx.min_length)} characters long`;
    default:
      return message.text;
  }
}

function errorsOf(messages: readonly UiText[] | undefined, field?: string): LegacyError[] {
  return (messages ?? [])
    .filter((m) => m.type === "error")
    .map((m) => ({ message: field ? `${field}: ${legacyText(m)}` : legacyText(m) }));
}

/** A node as an old form field: only the csrf token and the password were marked required (seeds). */
function fieldOf(node: UiNode): LegacyField | undefined {
  const a = node.attributes;
  if (a.node_type !== "input" || a.type === "submit" || a.type === "button") return undefined;
  const field: LegacyField = { name: a.name, type: legacyType(a.type) };
  if (a.name === "csrf_token" || a.name === "password") field.required = true;
  if (a.value !== undefined && a.value !== "") field.value = a.value;
  if (a.pattern) field.pattern = a.pattern;
  if (a.disabled) field.disabled = true;
  const errors = errorsOf(node.messages, a.name);
  if (errors.length > 0) field.errors = errors;
  return field;
}

/** A form of the nodes of `groups` (the CSRF token sits in `default`), keyed by field name. */
function formOf(flow: SettingsFlowJson, action: string, groups: readonly string[]): LegacyForm {
  const fields: Record<string, LegacyField> = {};
  for (const node of flow.ui.nodes) {
    if (!groups.includes(node.group)) continue;
    const field = fieldOf(node);
    if (field) fields[field.name] = field;
  }
  const form: LegacyForm = { action, method: flow.ui.method, fields };
  const errors = errorsOf(flow.ui.messages);
  if (errors.length > 0) form.errors = errors;
  return form;
}

function identityOf(flow: SettingsFlowJson): LegacyIdentity {
  const { id, schema_id, schema_url, traits } = flow.identity;
  return { id, traits_schema_id: schema_id, traits_schema_url: schema_url, traits };
}

/**
 * "Done will stay true when repeatedly checking … and revert back to false only when a request with
 * invalid data was sent" (v0.1 request model). Today's flow stays `success` and shows the errors.
 */
function updateSuccessful(flow: SettingsFlowJson): boolean {
  const hasError = (messages: readonly UiText[] | undefined) =>
    (messages ?? []).some((m) => m.type === "error");
  return (
    flow.state === "success" &&
    !hasError(flow.ui.messages) &&
    !flow.ui.nodes.some((n) => hasError(n.messages))
  );
}

function common(flow: SettingsFlowJson) {
  return {
    id: flow.id,
    expires_at: flow.expires_at,
    issued_at: flow.issued_at,
    request_url: flow.request_url,
  };
}

/** The v0.1 profile management request (seed 001): the profile method's form only. */
export function profileRequest(publicBase: string, flow: SettingsFlowJson): LegacyProfileRequest {
  return {
    ...common(flow),
    form: formOf(flow, legacyPaths(publicBase).profileUpdate(flow.id), ["default", "profile"]),
    identity: identityOf(flow),
    update_successful: updateSuccessful(flow),
  };
}

/** The methods a flow offers, in node order (each node's group names its method). */
function methodsOf(flow: SettingsFlowJson): string[] {
  const seen = new Set<string>();
  for (const node of flow.ui.nodes) if (node.group !== "default") seen.add(node.group);
  return [...seen];
}

/** The method the last submission went to, as far as the flow shows it: the one with an error. */
function activeOf(flow: SettingsFlowJson): string | undefined {
  const failed = flow.ui.nodes.find(
    (n) => n.group !== "default" && n.messages.some((m) => m.type === "error"),
  );
  return failed?.group;
}

/** The v0.2 settings request: one form per method at its strategy URL (seed 000, v0.2.0 code). */
export function settingsRequest(publicBase: string, flow: SettingsFlowJson): LegacySettingsRequest {
  const paths = legacyPaths(publicBase);
  const methods: LegacySettingsRequest["methods"] = {};
  for (const method of methodsOf(flow)) {
    methods[method] = { method, config: formOf(flow, paths.strategy(method, flow.id), ["default", method]) };
  }
  const active = activeOf(flow);
  return {
    ...common(flow),
    ...(active ? { active } : {}),
    methods,
    form: formOf(flow, paths.strategy("profile", flow.id), ["default", "profile"]),
    identity: identityOf(flow),
    update_successful: updateSuccessful(flow),
  };
}
