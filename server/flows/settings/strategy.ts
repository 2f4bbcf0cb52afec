import type { UiNode } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { IdentityChange } from "../../identity/commit.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import type { ActiveSession } from "../../session/service.ts";
import type { FlowIssue } from "../kit/form.ts";

/**
 * What a method implements for the settings flow (Kratos's `settings.Strategy`). The engine in
 * `service.ts` owns everything every method shares — session, flow validity, CSRF, the
 * privileged-session guard, hooks, persisting in one transaction, rendering — so a method only
 * contributes nodes, decodes its payload and decides what the change is.
 */
export interface SettingsStrategy {
  /** The method id: the `method` a submission names and the key of `settings.after.<method>`. */
  readonly method: string;
  /** Kratos's "is this strategy responsible" test on the submitted values. */
  handles(values: FormValues): boolean;
  /**
   * The nodes this method adds to a settings flow for the identity. `submitted` is the decoded
   * payload of a failed submission, echoed back (contract §3.7); absent on a fresh flow.
   */
  nodes(deps: AppDeps, identity: FullIdentity, submitted?: Record<string, unknown>): UiNode[];
  /** Decodes and validates a submission: runs before the CSRF check (contract §4.4.1 step 7). */
  prepare(request: SettingsRequest, values: FormValues): Promise<Prepared> | Prepared;
}

/** What a strategy may read about the submission it handles. */
export interface SettingsRequest {
  deps: AppDeps;
  ctx: RequestContext;
  flow: FlowRecord;
  active: ActiveSession;
}

export interface Prepared {
  /** The decoded payload, echoed into the nodes when the flow is rendered again. */
  submitted: Record<string, unknown>;
  /** The submission's `transient_payload`: handed to web hooks, never stored. */
  transientPayload?: Record<string, unknown> | undefined;
  step: PreparedStep;
  /**
   * A JSON body (`Content-Type: application/json`, which a cross-site form cannot send without a
   * CORS preflight) may leave out `csrf_token`: Ory's SDK has no such field for OIDC link/unlink
   * (contract §20 item 6). Form posts still need the token.
   */
  csrfTokenOptionalForJson?: boolean;
}

export type PreparedStep =
  /** Validation failed: the flow comes back with these messages (400). */
  | { kind: "issues"; issues: FlowIssue[] }
  | {
      kind: "ready";
      /**
       * Whether the submission changes a credential, a login identifier or a verifiable or recovery
       * address. The engine also checks the change it finally gets, so declaring is for checking
       * early (before expensive work), not a way around the guard.
       */
      protectedChange: boolean;
      /**
       * The rest of the decision, run once CSRF and privilege are settled: policy checks and
       * expensive work (hashing), then the change to persist.
       */
      complete(): Promise<Decision> | Decision;
    };

export type Decision =
  | { kind: "issues"; issues: FlowIssue[] }
  | {
      kind: "change";
      change: SettingsChange;
      /** The change proves the person just authenticated (an OIDC link): added to the session. */
      authenticated?: { method: string; provider?: string };
    }
  /** The person must go elsewhere first (an OpenID provider): 303 for browsers, 422 for JSON. */
  | { kind: "browser_location_change"; to: string };

/** A change to the identity, applied to its state at commit time (see server/identity/commit.ts). */
export type SettingsChange = Pick<IdentityChange, "apply" | "dependsOn">;
