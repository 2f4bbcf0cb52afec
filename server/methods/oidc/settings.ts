import type { UiNode } from "#shared/ui.ts";
import type { FullIdentity } from "../../../db/store.ts";
import type { FlowIssue } from "../../flows/kit/form.ts";
import type { Decision, SettingsStrategy } from "../../flows/settings/strategy.ts";
import { oidcIdentifier } from "../../identity/admin/imports.ts";
import { message, reasonMessage } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { transientPayloadOf } from "../transient-payload.ts";
import { callbackResult } from "./callback-context.ts";
import { upstreamOf } from "./common.ts";
import {
  firstFactorCount,
  isLinked,
  linkedProviders,
  withLinkedProvider,
  withoutProvider,
} from "./credential.ts";
import { findProvider, ProviderError, providerLabel, providers } from "./provider.ts";
import { startRoundTrip } from "./state.ts";

const global = (reason: string): FlowIssue[] => [{ path: "", message: reasonMessage(reason) }];

export const CANNOT_LINK = "can not link unknown or already existing OpenID Connect connection";
export const LAST_CREDENTIAL =
  "can not unlink OpenID Connect connection because it is the last remaining first factor credential";
export const NOT_LINKED = "can not unlink non-existing OpenID Connect connection";
export const BOTH = "it is not possible to link and unlink providers in the same request";

/**
 * Linking and unlinking providers in the settings flow (contract §7). `link=<id>` starts a round trip
 * and the callback appends the provider to the `oidc` credential (and the `oidc` method to the
 * session); `unlink=<id>` removes it unless it is the last first-factor credential. Both need a
 * privileged session, which the engine enforces (`protectedChange`).
 */
export const oidcSettings: SettingsStrategy = {
  method: "oidc",
  handles: (values) => Boolean(values.get("link")?.[0] || values.get("unlink")?.[0]),
  nodes(deps, identity) {
    const nodes: UiNode[] = [];
    const linked = new Set(linkedProviders(identity).map((p) => p.provider));
    const canUnlink = firstFactorCount(identity) > 1;
    for (const p of providers(deps.config)) {
      const provider = providerLabel(p);
      if (!linked.has(p.id)) {
        if (p.organization_id) continue;
        nodes.push(
          inputNode("oidc", "link", "submit", {
            value: p.id,
            label: message(1050002, [provider], { provider }),
          }),
        );
      } else if (canUnlink) {
        nodes.push(
          inputNode("oidc", "unlink", "submit", {
            value: p.id,
            label: message(1050003, [provider], { provider }),
          }),
        );
      }
    }
    return nodes;
  },
  prepare({ deps, ctx, flow, active }, values) {
    const link = values.get("link")?.[0];
    const unlink = values.get("unlink")?.[0];
    const transientPayload = transientPayloadOf(Object.fromEntries([...values].map(([k, v]) => [k, v[0]])));
    const submitted = {};
    const issues = (list: FlowIssue[]) => ({
      submitted,
      transientPayload,
      step: { kind: "issues" as const, issues: list },
    });
    if (link && unlink) return issues(global(BOTH));

    if (link) {
      const provider = findProvider(deps.config, link);
      if (!provider || provider.organization_id || isLinked(active.identity, link))
        return issues(global(CANNOT_LINK));
      const callback = callbackResult(ctx, link);
      return {
        submitted,
        transientPayload,
        csrfTokenOptionalForJson: true,
        step: {
          kind: "ready",
          protectedChange: true,
          async complete(): Promise<Decision> {
            if (!callback) {
              try {
                const to = await startRoundTrip(deps, ctx, flow, provider, {
                  identityId: active.identity.id,
                  upstream: upstreamOf(values),
                });
                return { kind: "browser_location_change", to };
              } catch (err) {
                if (err instanceof ProviderError) return { kind: "issues", issues: global(err.message) };
                throw err;
              }
            }
            if (!callback.ok) return { kind: "issues", issues: global(callback.reason) };
            const claims = callback.claims;
            // A subject another identity holds is a duplicate (contract §7.3 step 8).
            const holder = await deps.store.findIdentityByCredentialIdentifier(
              "oidc",
              oidcIdentifier(link, claims.subject),
            );
            if (holder && holder.id !== active.identity.id)
              return { kind: "issues", issues: [{ path: "", message: message(4000007) }] };
            return {
              kind: "change",
              authenticated: { method: "oidc", provider: link },
              change: {
                dependsOn: [],
                apply: (current: FullIdentity) =>
                  isLinked(current, link)
                    ? { ok: false, issues: global(CANNOT_LINK) }
                    : { ok: true, identity: withLinkedProvider(deps, current, link, claims) },
              },
            };
          },
        },
      };
    }

    const target = unlink as string;
    return {
      submitted,
      transientPayload,
      csrfTokenOptionalForJson: true,
      step: {
        kind: "ready",
        protectedChange: true,
        complete(): Decision {
          const refusal = unlinkRefusal(active.identity, target, deps.config);
          if (refusal) return { kind: "issues", issues: global(refusal) };
          return {
            kind: "change",
            change: {
              dependsOn: [],
              apply: (current: FullIdentity) => {
                const again = unlinkRefusal(current, target, deps.config);
                return again
                  ? { ok: false, issues: global(again) }
                  : { ok: true, identity: withoutProvider(deps, current, target) };
              },
            },
          };
        },
      },
    };
  },
};

function unlinkRefusal(
  identity: FullIdentity,
  providerId: string,
  config: Parameters<typeof findProvider>[0],
) {
  if (firstFactorCount(identity) < 2) return LAST_CREDENTIAL;
  if (!isLinked(identity, providerId) || !findProvider(config, providerId)) return NOT_LINKED;
  return undefined;
}
