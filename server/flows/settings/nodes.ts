import type { FullIdentity } from "../../../db/store.ts";
import type { UiNode } from "../../../shared/ui.ts";
import type { AppDeps } from "../../deps.ts";
import type { SchemaForms } from "../../identity/forms.ts";
import { message } from "../../ui/messages.ts";
import { csrfNode, inputNode } from "../../ui/nodes.ts";
import { profileNodes } from "../../ui/profile-nodes.ts";
import { sortNodes } from "../../ui/sort.ts";

export function formsFor(deps: AppDeps, schemaId: string): SchemaForms {
  const forms = deps.forms.get(schemaId);
  if (!forms) throw new Error(`identity schema "${schemaId}" is not registered`);
  return forms;
}

/** The password group (contract §3.5): shown even when the identity has no password yet. */
export function passwordSettingsNodes(): UiNode[] {
  return [
    inputNode("password", "password", "password", {
      required: true,
      autocomplete: "new-password",
      label: message(1070001),
    }),
    inputNode("password", "method", "submit", { value: "password", label: message(1070003) }),
  ];
}

/**
 * All settings nodes for an identity, sorted (contract §3.5–§3.6). `traits` overrides the values
 * shown in the profile nodes (a failed submission echoes what was sent, §3.7).
 */
export function settingsNodes(
  deps: AppDeps,
  identity: FullIdentity,
  csrfToken: string,
  traits: Record<string, unknown> = identity.traits,
): UiNode[] {
  const forms = formsFor(deps, identity.schemaId);
  const methods = deps.config.raw.selfservice.methods;
  const nodes: UiNode[] = [csrfNode(csrfToken)];
  if (methods.profile.enabled) nodes.push(...profileNodes(forms.profileNodes, traits));
  if (methods.password.enabled) nodes.push(...passwordSettingsNodes());
  return sortNodes(nodes, forms.keyOrder);
}
