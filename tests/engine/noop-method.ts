import type { FullIdentity } from "../../db/store.ts";
import type { MethodDefinition } from "../../server/flows/methods.ts";
import type { SettingsStrategy } from "../../server/flows/settings/strategy.ts";
import { inputNode } from "../../server/ui/nodes.ts";

/**
 * A test-only method, written the way a new method folder would be: it knows nothing about CSRF,
 * sessions, privilege or persistence. It declares every submission a protected change even though
 * what it writes (`metadata_public.noop`) is not a credential, identifier or address — so only the
 * engine honouring the declaration can refuse it on an old session.
 */

export const NOOP_TEXT = { id: 1070003, text: "Save", type: "info" as const };

function withNoop(identity: FullIdentity, value: string): FullIdentity {
  const current = (identity.metadataPublic ?? {}) as Record<string, unknown>;
  return { ...identity, metadataPublic: { ...current, noop: value } };
}

const noopSettings: SettingsStrategy = {
  method: "noop",
  handles: (values) => values.get("method")?.[0] === "noop",
  nodes: (_deps, identity, submitted) => [
    inputNode("default", "noop", "hidden", {
      value:
        (submitted?.noop as string | undefined) ??
        ((identity.metadataPublic as Record<string, unknown> | null)?.noop as string | undefined) ??
        "",
    }),
    inputNode("default", "method", "submit", { value: "noop", label: NOOP_TEXT }),
  ],
  prepare(_request, values) {
    const value = values.get("noop")?.[0] ?? "";
    return {
      submitted: { noop: value },
      step: {
        kind: "ready",
        protectedChange: true,
        complete: () => ({
          kind: "change",
          change: {
            dependsOn: [],
            apply: (current: FullIdentity) => ({ ok: true, identity: withNoop(current, value) }),
          },
        }),
      },
    };
  },
};

export const noopMethod: MethodDefinition = {
  id: "noop",
  enabled: () => true,
  settings: noopSettings,
};
