import type { UiNode } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import type { FlowIssue } from "../kit/form.ts";
import type { Caller, FlowOutcome } from "../kit/outcome.ts";

/**
 * What a method implements for the registration flow (Kratos's `registration.Strategy`): its nodes
 * and how a submission becomes a new identity with its credential. The engine in `service.ts` owns
 * validity, CSRF, hooks, creating the identity in one transaction and the single use of the flow.
 */
export interface RegistrationStrategy {
  readonly method: string;
  handles(values: FormValues): boolean;
  /** The nodes this method adds; `submitted` is a failed submission's payload, echoed back. */
  nodes(deps: AppDeps, submitted?: Record<string, unknown>): UiNode[];
  /** Decodes and validates a submission: runs before the CSRF check. */
  prepare(
    request: RegistrationRequest,
    values: FormValues,
  ): Promise<RegistrationPrepared> | RegistrationPrepared;
}

export interface RegistrationRequest {
  deps: AppDeps;
  ctx: RequestContext;
  flow: FlowRecord;
}

export interface RegistrationPrepared {
  submitted: Record<string, unknown>;
  transientPayload?: Record<string, unknown> | undefined;
  step:
    | { kind: "issues"; issues: FlowIssue[] }
    | {
        kind: "ready";
        complete(): Promise<
          | { kind: "issues"; issues: FlowIssue[] }
          /** `provider`: the OpenID provider the new session names in its authentication method. */
          | { kind: "identity"; identity: FullIdentity; provider?: string }
          /** The person must go elsewhere first (an OpenID provider): 303 for browsers, 422 for JSON. */
          | { kind: "browser_location_change"; to: string }
          /** The method answers itself (an OpenID sign-up that becomes account linking); not run in a dry run. */
          | { kind: "outcome"; answer(caller: Caller): Promise<FlowOutcome> }
        >;
      };
}
