import type { FullIdentity } from "../../../db/store.ts";
import type { SettingsStrategy } from "../../flows/settings/strategy.ts";
import { formsOf } from "../../identity/forms.ts";
import { withTraits } from "../../identity/manager.ts";
import { changeNeedsPrivilege } from "../../identity/privilege.ts";
import { guardSubmittedTraits, visibleTraits } from "../../identity/trait-policy.ts";
import { profileNodes } from "../../ui/profile-nodes.ts";
import { transientPayloadOf } from "../transient-payload.ts";

/**
 * The profile method in the settings flow (contract §5.3): the traits, validated against the
 * identity's schema. A change of a login identifier or an address is a protected change.
 */
export const profileSettings: SettingsStrategy = {
  method: "profile",
  handles: (values) => values.get("method")?.[0] === "profile",
  nodes(deps, identity, submitted) {
    const forms = formsOf(deps, identity.schemaId);
    const traits = (submitted?.traits as Record<string, unknown> | undefined) ?? identity.traits;
    return profileNodes(forms.profileNodes, visibleTraits(forms.traitPolicy, traits));
  },
  prepare({ deps, active }, values) {
    const forms = formsOf(deps, active.identity.schemaId);
    const payload = forms.profileDecoder.decode(values);
    const sent = (payload.traits ?? {}) as Record<string, unknown>;
    const submitted = { traits: sent };
    const transientPayload = transientPayloadOf(payload);
    // Traits the person has no field for keep their stored value; changing a locked one is refused.
    const guarded = guardSubmittedTraits(forms.traitPolicy, "settings", sent, active.identity.traits);
    if (guarded.issues.length > 0)
      return { submitted, transientPayload, step: { kind: "issues", issues: guarded.issues } };
    const traits = guarded.traits;
    const next = withTraits(deps, active.identity, traits);
    if (!next.ok) return { submitted, transientPayload, step: { kind: "issues", issues: next.issues } };
    return {
      submitted,
      transientPayload,
      step: {
        kind: "ready",
        protectedChange: changeNeedsPrivilege(deps, active.identity, next.identity),
        complete: () => ({
          kind: "change",
          change: {
            // The person saw and edited these traits: if they changed meanwhile, the edit is refused.
            dependsOn: ["traits", "schema_id"],
            apply: (current: FullIdentity) =>
              current === active.identity
                ? next
                : withTraits(
                    deps,
                    current,
                    guardSubmittedTraits(forms.traitPolicy, "settings", sent, current.traits).traits,
                  ),
          },
        }),
      },
    };
  },
};
