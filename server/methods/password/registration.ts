import type { RegistrationStrategy } from "../../flows/registration/strategy.ts";
import { formsOf } from "../../identity/forms.ts";
import { newIdentity, passwordIdentifiers, withPassword } from "../../identity/manager.ts";
import { guardSubmittedTraits, visibleTraits } from "../../identity/trait-policy.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { profileNodes } from "../../ui/profile-nodes.ts";
import { transientPayloadOf } from "../transient-payload.ts";
import { checkMaxLength } from "./policy.ts";

/**
 * One-step registration with a password (contract §16.2): the traits of the default schema (group
 * `default`, as Kratos's password strategy renders them) and a password.
 */
export const passwordRegistration: RegistrationStrategy = {
  method: "password",
  handles: (values) => values.get("method")?.[0] === "password",
  nodes(deps, submitted) {
    const forms = formsOf(deps, deps.registry.defaultId);
    const traits = submitted?.traits as Record<string, unknown> | undefined;
    const traitNodes = profileNodes(
      forms.registrationNodes,
      traits && visibleTraits(forms.traitPolicy, traits),
    )
      .filter((n) => n.attributes.name !== "method")
      .map((n) => ({ ...n, group: "default" as const }));
    return [
      ...traitNodes,
      inputNode("password", "password", "password", {
        required: true,
        autocomplete: "new-password",
        label: message(1070001),
      }),
      inputNode("password", "method", "submit", { value: "password", label: message(1040001) }),
    ];
  },
  prepare({ deps }, values) {
    const forms = formsOf(deps, deps.registry.defaultId);
    const payload = forms.registrationDecoder.decode(values);
    const traits = (payload.traits as Record<string, unknown>) ?? {};
    const locked = guardSubmittedTraits(forms.traitPolicy, "registration", traits, undefined).issues;
    const password = typeof payload.password === "string" ? payload.password : "";
    const submitted = { traits };
    const transientPayload = transientPayloadOf(payload);
    const built = newIdentity(deps, { schemaId: deps.registry.defaultId, traits });
    const issues = [...locked, ...(built.ok ? [] : built.issues)];
    if (!password)
      issues.push({ path: "password", message: message(4000002, ["password"], { property: "password" }) });
    if (!built.ok || issues.length > 0)
      return { submitted, transientPayload, step: { kind: "issues", issues } };
    return {
      submitted,
      transientPayload,
      step: {
        kind: "ready",
        async complete() {
          const identifiers = passwordIdentifiers(deps, built.identity);
          if (identifiers.length === 0)
            return { kind: "issues", issues: [{ path: "", message: message(4000009) }] };
          const problem =
            checkMaxLength(password, deps.hasher) ?? (await deps.policy.check(password, identifiers));
          if (problem) return { kind: "issues", issues: [{ path: "password", message: problem }] };
          return {
            kind: "identity",
            identity: withPassword(deps, built.identity, await deps.hasher.hash(password)),
          };
        },
      },
    };
  },
};
