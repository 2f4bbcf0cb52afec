import {
  browserLocationChangeError,
  type Caller,
  type FlowOutcome,
  refreshRequiredError,
} from "../flows/kit/outcome.ts";
import type { RequestContext } from "../request/context.ts";
import { appendQuery } from "../request/url.ts";
import { errorJson, errorRedirect, json, redirect } from "./respond.ts";

/** The REST adapter's single mapping from flow outcomes to responses (contract §4.4.2). */
export async function sendOutcome(
  ctx: RequestContext,
  outcome: FlowOutcome,
  caller: Caller,
  uiUrl: string,
): Promise<Response> {
  const asJson = caller.flowType === "api" || caller.json;
  switch (outcome.kind) {
    case "form":
      return asJson
        ? json(ctx, outcome.status, outcome.body)
        : redirect(ctx, appendQuery(uiUrl, { flow: outcome.flow.id }));
    case "success":
      if (outcome.session && outcome.setSessionCookie && caller.flowType === "browser") {
        ctx.deps.sessions.setCookie(ctx, outcome.session);
      }
      return asJson ? json(ctx, 200, outcome.body) : redirect(ctx, outcome.redirectTo);
    case "refresh_required":
      if (!asJson) return redirect(ctx, outcome.redirectTo);
      return errorJson(ctx, refreshRequiredError(outcome.redirectTo));
    case "browser_location_change":
      if (!asJson) return redirect(ctx, outcome.redirectTo);
      return errorJson(ctx, browserLocationChangeError(outcome.redirectTo));
    case "error":
      return asJson ? errorJson(ctx, outcome.error) : errorRedirect(ctx, outcome.error);
  }
}
