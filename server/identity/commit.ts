import { isDeepStrictEqual } from "node:util";
import type { UiText } from "#shared/ui.ts";
import type {
  CredentialRecord,
  FlowRecord,
  FullIdentity,
  IdentityMutation,
  SecurityEventRecord,
} from "../../db/store.ts";
import type { AppDeps } from "../deps.ts";

/**
 * The one way an existing identity is changed (settings methods, their web hooks, the admin API).
 *
 * A request decides on the identity as it loaded it, and may take long before it writes (a password
 * hash, a web hook, a slow upload). Writing that decision back as a whole would revert whatever
 * was committed meanwhile. So the change is a pure function, re-run inside the store's
 * transaction on the identity's CURRENT state, and the store writes only what it changed. Where
 * the decision itself rests on something that changed meanwhile (the profile form showed old
 * traits), re-running would be wrong: that is a conflict, and nothing is written.
 */

export type IdentityPart =
  | "traits"
  | "credentials"
  | "state"
  | "metadata_public"
  | "metadata_admin"
  | "schema_id";

export interface ChangeIssue {
  path: string;
  message: UiText;
}

export type AppliedChange = { ok: true; identity: FullIdentity } | { ok: false; issues: ChangeIssue[] };

export interface IdentityChange {
  /** The identity the decision was made on (as loaded for this request). */
  decidedOn: FullIdentity;
  /**
   * Pure and synchronous: the change applied to the CURRENT state (re-run on fresh state inside
   * the transaction). It may throw (an HttpError, say): nothing is written and the error propagates.
   */
  apply(current: FullIdentity): AppliedChange;
  /** Parts of the identity the decision depended on; a difference between decidedOn and current in any of them is a conflict. */
  dependsOn: ReadonlyArray<IdentityPart>;
  /** When set: the session must still be active, and its identity active, at commit time. */
  sessionId?: string;
  /** Security history entries written in the same transaction, if the change is written. */
  events?: readonly SecurityEventRecord[];
  /** An address change moved in the same transaction (server/account/address-change.ts). */
  addressChange?: IdentityMutation<unknown>["addressChange"];
  /** The flow to write in the same transaction, if the change is written (`IdentityMutation.flow`). */
  flow?: (written: FullIdentity) => FlowRecord;
}

export type CommitResult =
  | { kind: "committed"; identity: FullIdentity }
  /** `apply` refused on the fresh state. */
  | { kind: "rejected"; issues: ChangeIssue[] }
  /** Changed underneath in a part the decision depended on. */
  | { kind: "conflict"; current: FullIdentity }
  | { kind: "session_inactive" }
  | { kind: "identity_inactive" }
  | { kind: "not_found" };

type Verdict = { kind: "committed" } | { kind: "rejected"; issues: ChangeIssue[] } | { kind: "conflict" };

/**
 * Applies `change` to the identity's current state in one transaction. A ConflictError (duplicate
 * identifier or address) is thrown as the store throws it.
 */
export async function commitIdentityChange(deps: AppDeps, change: IdentityChange): Promise<CommitResult> {
  const now = deps.clock.now();
  const result = await deps.store.mutateIdentity<Verdict>(
    change.decidedOn.id,
    (current) => {
      if (changedUnderneath(change.decidedOn, current, change.dependsOn))
        return { value: { kind: "conflict" } };
      const applied = change.apply(current);
      if (!applied.ok) return { value: { kind: "rejected", issues: applied.issues } };
      return {
        identity: { ...applied.identity, updatedAt: now },
        value: { kind: "committed" },
        ...(change.events ? { events: change.events } : {}),
        ...(change.addressChange ? { addressChange: change.addressChange } : {}),
        ...(change.flow ? { flow: change.flow } : {}),
      };
    },
    {
      decidedOn: change.decidedOn,
      ...(change.sessionId === undefined ? {} : { sessionId: change.sessionId, requireActive: true, now }),
    },
  );
  if (result.kind !== "done") return result;
  const verdict = result.value;
  if (verdict.kind === "committed") return { kind: "committed", identity: result.identity };
  if (verdict.kind === "conflict") return { kind: "conflict", current: result.identity };
  return verdict;
}

/** Whether any of `parts` differs between the state a decision was made on and the current one. */
export function changedUnderneath(
  decidedOn: FullIdentity,
  current: FullIdentity,
  parts: ReadonlyArray<IdentityPart>,
): boolean {
  // Every write bumps the version: the same version is the same state.
  if (decidedOn.version !== undefined && decidedOn.version === current.version) return false;
  return parts.some((part) => !isDeepStrictEqual(partOf(decidedOn, part), partOf(current, part)));
}

function partOf(identity: FullIdentity, part: IdentityPart): unknown {
  switch (part) {
    case "traits":
      return identity.traits;
    case "credentials":
      return identity.credentials.map(credentialContent);
    case "state":
      return identity.state;
    case "metadata_public":
      return identity.metadataPublic ?? null;
    case "metadata_admin":
      return identity.metadataAdmin ?? null;
    case "schema_id":
      return identity.schemaId;
  }
}

/** What a credential authenticates with; its timestamps are bookkeeping. */
function credentialContent(credential: CredentialRecord) {
  return {
    id: credential.id,
    type: credential.type,
    identifiers: credential.identifiers,
    config: credential.config,
  };
}
