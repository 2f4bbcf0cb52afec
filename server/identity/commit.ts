import type { FullIdentity } from "../../db/store.ts";
import type { UiText } from "../../shared/ui.ts";
import type { AppDeps } from "../deps.ts";

export type IdentityPart =
  | "traits"
  | "credentials"
  | "state"
  | "metadata_public"
  | "metadata_admin"
  | "schema_id";

export interface IdentityChange {
  /** The identity the decision was made on (as loaded for this request). */
  decidedOn: FullIdentity;
  /** Pure and synchronous: the change applied to the current state. */
  apply(
    current: FullIdentity,
  ): { ok: true; identity: FullIdentity } | { ok: false; issues: { path: string; message: UiText }[] };
  /** Parts of the identity the decision depended on. */
  dependsOn: readonly IdentityPart[];
  /** When set: the session must still be active, and its identity active, at commit time. */
  sessionId?: string;
}

export type CommitResult =
  | { kind: "committed"; identity: FullIdentity }
  | { kind: "rejected"; issues: { path: string; message: UiText }[] }
  | { kind: "conflict"; current: FullIdentity }
  | { kind: "session_inactive" }
  | { kind: "identity_inactive" }
  | { kind: "not_found" };

/** Applies a change to the stored identity. */
export async function commitIdentityChange(deps: AppDeps, change: IdentityChange): Promise<CommitResult> {
  const current = await deps.store.getIdentity(change.decidedOn.id);
  if (!current) return { kind: "not_found" };
  const applied = change.apply(current);
  if (!applied.ok) return { kind: "rejected", issues: applied.issues };
  return {
    kind: "committed",
    identity: await deps.store.updateIdentity({ ...applied.identity, updatedAt: deps.clock.now() }),
  };
}
