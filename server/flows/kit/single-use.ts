import { USED_FLOW_STATE } from "../../../db/flow-state.ts";
import type { FlowRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";

/**
 * Login and registration flows are single use (issue 8): once a flow has signed someone in or
 * created an identity it cannot be submitted again. Kratos has no dedicated error for it and answers
 * as for a submission no strategy handles (4010002 for login, 4010003 for registration).
 */
export function isUsed(flow: FlowRecord): boolean {
  return flow.state === USED_FLOW_STATE;
}

/**
 * Claims the flow before its effect (issuing a session, creating an identity), atomically: of
 * concurrent submissions exactly one wins. Returns a release for when the effect then fails, so a
 * flow that created nothing (a duplicate e-mail, say) can be submitted again.
 */
export async function claimFlow(deps: AppDeps, flow: FlowRecord): Promise<(() => Promise<void>) | undefined> {
  const unused = flow.state;
  if (!(await deps.store.transitionFlow(flow.id, unused, USED_FLOW_STATE, deps.clock.now())))
    return undefined;
  flow.state = USED_FLOW_STATE;
  return async () => {
    await deps.store.transitionFlow(flow.id, USED_FLOW_STATE, unused, deps.clock.now());
    flow.state = unused;
  };
}
