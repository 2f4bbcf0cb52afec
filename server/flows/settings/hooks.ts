import type { FullIdentity } from "../../../db/store.ts";
import type { ContinueWith, SettingsFlowJson } from "../../../shared/flows.ts";
import type { AppDeps } from "../../deps.ts";
import { runHooks, splitAfterHooks } from "../../hooks/run.ts";
import type { WebHookIdentityPatch, WebHookIssue } from "../../hooks/web-hook.ts";
import { withTraits } from "../../identity/manager.ts";
import { identityToJson } from "../../identity/serialize.ts";
import type { RequestContext } from "../../request/context.ts";
import type { ActiveSession } from "../../session/service.ts";
import { message } from "../../ui/messages.ts";
import type { FlowIssue } from "../form.ts";
import type { SettingsMethod } from "./continuity.ts";
import type { MethodContext } from "./methods.ts";
import { settingsFlowJson } from "./service.ts";

/** `selfservice.flows.settings.before.hooks`, run when a flow is created (contract §4.1 step 4). */
export async function runBeforeHooks(
  deps: AppDeps,
  ctx: RequestContext,
  active: ActiveSession,
  flowJson: SettingsFlowJson,
) {
  const hooks = deps.config.raw.selfservice.flows.settings.before.hooks;
  if (hooks.length === 0) return;
  await runHooks(hooks, {
    deps,
    ctx,
    flowJson,
    sessionJson: deps.sessions.toJson(active.session, active.identity),
  });
}

/** A method's after-hooks; the global list applies only when the method has none (contract §11.1). */
function afterHooksOf(deps: AppDeps, method: SettingsMethod) {
  const after = deps.config.raw.selfservice.flows.settings.after;
  return after[method].hooks.length > 0 ? after[method].hooks : after.hooks;
}

/**
 * Applies the fields a parsing web hook may change (contract §11.6). New traits or a new schema are
 * validated like a submission; addresses stay derived from the traits, but a hook may set the
 * verification state of an address it returns (matched by `via` and value), as Kratos keeps the
 * hook's address records when the recomputed addresses match them.
 */
export function applyPatch(
  deps: AppDeps,
  identity: FullIdentity,
  patch: WebHookIdentityPatch,
): { ok: true; identity: FullIdentity } | { ok: false; issues: FlowIssue[] } {
  let next: FullIdentity = {
    ...identity,
    ...(patch.metadata_public !== undefined ? { metadataPublic: patch.metadata_public } : {}),
    ...(patch.metadata_admin !== undefined ? { metadataAdmin: patch.metadata_admin } : {}),
    ...(patch.external_id !== undefined ? { externalId: patch.external_id } : {}),
    ...(patch.state === "active" || patch.state === "inactive" ? { state: patch.state } : {}),
  };
  const schemaChanged = patch.schema_id !== undefined && patch.schema_id !== identity.schemaId;
  if (schemaChanged) {
    if (!deps.forms.has(patch.schema_id!)) {
      const reason = `Unable to find JSON Schema ID: ${patch.schema_id}`;
      return { ok: false, issues: [{ path: "", message: message(4000001, [reason], { reason }) }] };
    }
    next = { ...next, schemaId: patch.schema_id! };
  }
  if (patch.traits !== undefined || schemaChanged) {
    const result = withTraits(deps, next, patch.traits ?? next.traits);
    if (!result.ok) return result;
    next = result.identity;
  }
  if (patch.verifiable_addresses) {
    const given = patch.verifiable_addresses;
    next = {
      ...next,
      verifiableAddresses: next.verifiableAddresses.map((address) => {
        const match = given.find(
          (g) => g.via === address.via && String(g.value ?? "").toLowerCase() === address.value.toLowerCase(),
        );
        if (!match) return address;
        const status = match.status;
        const verifiedAt = typeof match.verified_at === "string" ? new Date(match.verified_at) : undefined;
        return {
          ...address,
          ...(typeof match.verified === "boolean" ? { verified: match.verified } : {}),
          ...(status === "pending" || status === "sent" || status === "completed" ? { status } : {}),
          ...(verifiedAt && !Number.isNaN(verifiedAt.getTime()) ? { verifiedAt } : {}),
        };
      }),
    };
  }
  return { ok: true, identity: next };
}

export type PreVerdict =
  | { kind: "continue"; identity: FullIdentity; patch?: WebHookIdentityPatch }
  | { kind: "reject"; issues: WebHookIssue[] };

export async function runAfterHooks(
  m: MethodContext,
  method: SettingsMethod,
  phase: "pre",
  identity: FullIdentity,
): Promise<PreVerdict>;
export async function runAfterHooks(
  m: MethodContext,
  method: SettingsMethod,
  phase: "post",
  identity: FullIdentity,
): Promise<{ continueWith: ContinueWith[] }>;
/**
 * Runs a settings method's after-hooks in one phase: parsing web hooks before the identity is
 * saved (they may reject or patch it), everything else after (contract §11.6 "Settings timing").
 */
export async function runAfterHooks(
  m: MethodContext,
  method: SettingsMethod,
  phase: "pre" | "post",
  identity: FullIdentity,
): Promise<PreVerdict | { continueWith: ContinueWith[] }> {
  const { deps } = m;
  const split = splitAfterHooks(afterHooksOf(deps, method));
  const hooks = phase === "pre" ? split.pre : split.post;
  if (hooks.length === 0) return phase === "pre" ? { kind: "continue", identity } : { continueWith: [] };
  const verdict = await runHooks(hooks, {
    deps,
    ctx: m.ctx,
    // The submission's transient_payload travels with the flow to the hooks (contract §2.1).
    flowJson: {
      ...settingsFlowJson(deps, m.flow, identity),
      ...(m.transientPayload ? { transient_payload: m.transientPayload } : {}),
    },
    identityJson: identityToJson(identity, { publicBaseUrl: deps.config.publicBase }),
    sessionJson: deps.sessions.toJson(m.active.session, identity),
    sessionId: m.active.session.id,
    identity,
  });
  if (phase === "post") return { continueWith: [] };
  if (verdict.kind === "reject") return verdict;
  if (!verdict.patch) return { kind: "continue", identity };
  const patched = applyPatch(deps, identity, verdict.patch);
  return patched.ok
    ? { kind: "continue", identity: patched.identity, patch: verdict.patch }
    : { kind: "reject", issues: patched.issues };
}
