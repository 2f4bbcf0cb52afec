import type { UiNode } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import type { FlowIssue } from "../kit/form.ts";
import type { FlowOutcome } from "../kit/outcome.ts";

/**
 * What a method implements for the login flow (Kratos's `login.Strategy`): its nodes and how a
 * submission authenticates an identity. The engine in `service.ts` owns the flow's validity, CSRF,
 * the identity's state, hooks and issuing the session.
 */
export interface LoginStrategy {
  readonly method: string;
  handles(values: FormValues): boolean;
  /**
   * The nodes for a login flow. `refreshing` is the signed-in identity of a `refresh=true` flow; a
   * method that cannot re-authenticate it contributes nothing.
   */
  nodes(deps: AppDeps, refreshing: FullIdentity | undefined): UiNode[];
  /** Decodes and checks the submission's shape: runs before the CSRF check. */
  prepare(request: LoginRequest, values: FormValues): LoginPrepared;
}

export interface LoginRequest {
  deps: AppDeps;
  ctx: RequestContext;
  flow: FlowRecord;
}

export interface LoginPrepared {
  /** Values to show again in the flow's inputs (e.g. the identifier) when it is rendered again. */
  echo: Record<string, string>;
  step: { kind: "issues"; issues: FlowIssue[] } | { kind: "ready"; authenticate(): Promise<Authenticated> };
}

export type Authenticated =
  | { kind: "issues"; issues: FlowIssue[] }
  | { kind: "authenticated"; identity: FullIdentity; provider?: string }
  /** The person must sign in elsewhere first (an OpenID provider): 303 for browsers, 422 for JSON. */
  | { kind: "browser_location_change"; to: string }
  /** The strategy answered through another flow (a native OpenID sign-in that becomes a sign-up). */
  | { kind: "outcome"; outcome: FlowOutcome };
