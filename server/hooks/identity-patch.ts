import type { FullIdentity } from "../../db/store.ts";
import type { AppDeps } from "../deps.ts";
import { withTraits } from "../identity/manager.ts";
import type { TraitIssue } from "../identity/validate.ts";
import { message } from "../ui/messages.ts";
import type { WebHookIdentityPatch } from "./web-hook.ts";

/**
 * Applies the fields a parsing web hook may change (contract §11.6). New traits or a new schema are
 * validated like a submission; addresses stay derived from the traits, but a hook may set the
 * verification state of an address it returns (matched by `via` and value), as Kratos keeps the
 * hook's address records when the recomputed addresses match them.
 */
export function applyIdentityPatch(
  deps: AppDeps,
  identity: FullIdentity,
  patch: WebHookIdentityPatch,
): { ok: true; identity: FullIdentity } | { ok: false; issues: TraitIssue[] } {
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
