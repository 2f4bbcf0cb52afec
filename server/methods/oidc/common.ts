import type { NodeGroup, UiNode, UiText } from "#shared/ui.ts";
import type { AppDeps } from "../../deps.ts";
import type { FormValues } from "../../request/body.ts";
import { errors } from "../../request/errors.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { findProvider, type ProviderConfig, providerLabel, providers } from "./provider.ts";

/** `upstream_parameters.*` of a submission (form `upstream_parameters.hd`, JSON nested). */
export function upstreamOf(values: FormValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, vals] of values) {
    if (key.startsWith("upstream_parameters.") && vals[0]) out[key.slice(20)] = vals[0];
    // A JSON body's object arrives as one JSON-encoded value (server/decoding/form-values.ts).
    if (key === "upstream_parameters" && vals[0]) {
      try {
        const parsed: unknown = JSON.parse(vals[0]);
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
          for (const [k, v] of Object.entries(parsed)) if (typeof v === "string" && v) out[k] = v;
      } catch {
        // Not an object: no upstream parameters.
      }
    }
  }
  return out;
}

/** Kratos's answer for a provider id that is not configured (a 404, not a form message). */
export function requireProvider(deps: AppDeps, id: string): ProviderConfig {
  const p = findProvider(deps.config, id);
  if (!p) throw errors.notFound(`OpenID Connect Provider "${id}" is unknown or has not been configured`);
  return p;
}

/** One `provider` submit button per provider without an organization (Kratos's AddProviders). */
export function providerButtons(
  deps: AppDeps,
  label: (provider: string, providerId: string) => UiText,
  only?: (p: ProviderConfig) => boolean,
): UiNode[] {
  return providers(deps.config)
    .filter((p) => !p.organization_id && (!only || only(p)))
    .map((p) =>
      inputNode("oidc" as NodeGroup, "provider", "submit", {
        value: p.id,
        label: label(providerLabel(p), p.id),
      }),
    );
}

export const loginWith = (provider: string, providerId: string) =>
  message(1010002, [provider], { provider, provider_id: providerId });
export const signUpWith = (provider: string, providerId: string) =>
  message(1040002, [provider], { provider, provider_id: providerId });

export const required = (property: string) => ({
  path: property,
  message: message(4000002, [property], { property }),
});
