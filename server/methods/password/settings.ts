import type { FullIdentity } from "../../../db/store.ts";
import type { SettingsStrategy } from "../../flows/settings/strategy.ts";
import { passwordDecoder } from "../../identity/forms.ts";
import { passwordIdentifiers, withPassword } from "../../identity/manager.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { transientPayloadOf } from "../transient-payload.ts";
import { checkMaxLength } from "./policy.ts";

/**
 * The password method in the settings flow (contract §6.2): setting or changing the password is
 * always a protected change. The group is shown even when the identity has no password yet (§3.5).
 */
export const passwordSettings: SettingsStrategy = {
  method: "password",
  handles: (values) => values.get("method")?.[0] === "password",
  nodes: () => [
    inputNode("password", "password", "password", {
      required: true,
      autocomplete: "new-password",
      label: message(1070001),
    }),
    inputNode("password", "method", "submit", { value: "password", label: message(1070003) }),
  ],
  prepare({ deps, active }, values) {
    const payload = passwordDecoder.decode(values);
    const transientPayload = transientPayloadOf(payload);
    const password = typeof payload.password === "string" ? payload.password : "";
    const submitted = {};
    if (!password) {
      const required = message(4000002, ["password"], { property: "password" });
      return {
        submitted,
        transientPayload,
        step: { kind: "issues", issues: [{ path: "password", message: required }] },
      };
    }
    return {
      submitted,
      transientPayload,
      step: {
        kind: "ready",
        protectedChange: true,
        async complete() {
          const identifiers = passwordIdentifiers(deps, active.identity);
          if (identifiers.length === 0)
            return { kind: "issues", issues: [{ path: "", message: message(4000009) }] };
          const current = active.identity.credentials.find((c) => c.type === "password")?.config
            .hashed_password;
          const tooLong = checkMaxLength(password, deps.hasher);
          if (tooLong) return { kind: "issues", issues: [{ path: "password", message: tooLong }] };
          // The check against the current hash and the new hash are queued together: a password
          // the checks refuse only wastes its hash, one they accept no longer waits for them (and
          // for the event loop in between) before its hash is even queued.
          const sameAsCurrent = typeof current === "string" ? deps.hasher.verify(password, current) : false;
          const hashing = deps.hasher.hash(password);
          // Awaited below only when the checks pass; until then its failure must not count as
          // unhandled (that would end the process), and once refused it is simply dropped.
          hashing.catch(() => {});
          const problem =
            ((await sameAsCurrent) ? message(4000039) : undefined) ??
            (await deps.policy.check(password, identifiers));
          if (problem) return { kind: "issues", issues: [{ path: "password", message: problem }] };
          const hashed = await hashing;
          return {
            kind: "change",
            change: {
              // Independent of what else changed meanwhile: the credential is set on the fresh state,
              // its identifiers derived from the fresh traits.
              dependsOn: [],
              apply: (fresh: FullIdentity) => ({ ok: true, identity: withPassword(deps, fresh, hashed) }),
            },
          };
        },
      },
    };
  },
};
