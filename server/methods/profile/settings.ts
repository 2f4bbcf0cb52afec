import type { FullIdentity } from "../../../db/store.ts";
import type { SettingsStrategy } from "../../flows/settings/strategy.ts";
import { protectedFieldsChanged } from "../../identity/apply.ts";
import { formsOf } from "../../identity/forms.ts";
import { withTraits } from "../../identity/manager.ts";
import { profileNodes } from "../../ui/profile-nodes.ts";
import { transientPayloadOf } from "../transient-payload.ts";

/**
 * The profile method in the settings flow (contract §5.3): the traits, validated against the
 * identity's schema. A change of a login identifier or an address is a protected change.
 */
export const profileSettings: SettingsStrategy = {
  method: "profile",
  handles: (values) => values.get("method")?.[0] === "profile",
  nodes: (deps, identity, submitted) =>
    profileNodes(
      formsOf(deps, identity.schemaId).profileNodes,
      (submitted?.traits as Record<string, unknown> | undefined) ?? identity.traits,
    ),
  prepare({ deps, active }, values) {
    const payload = formsOf(deps, active.identity.schemaId).profileDecoder.decode(values);
    const traits = (payload.traits ?? {}) as Record<string, unknown>;
    const submitted = { traits };
    const transientPayload = transientPayloadOf(payload);
    const next = withTraits(deps, active.identity, traits);
    if (!next.ok) return { submitted, transientPayload, step: { kind: "issues", issues: next.issues } };
    return {
      submitted,
      transientPayload,
      step: {
        kind: "ready",
        protectedChange: protectedFieldsChanged(active.identity, next.identity),
        complete: () => ({
          kind: "change",
          change: {
            // The person saw and edited these traits: if they changed meanwhile, the edit is refused.
            dependsOn: ["traits", "schema_id"],
            apply: (current: FullIdentity) => withTraits(deps, current, traits),
          },
        }),
      },
    };
  },
};
