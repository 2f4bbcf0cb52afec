import type { Caller, FlowOutcome } from "../flows/kit/outcome.ts";
import type { RequestContext } from "../request/context.ts";
import { errors } from "../request/errors.ts";
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
      return asJson ? json(ctx, 200, outcome.body) : redirect(ctx, outcome.redirectTo);
    case "redirect":
      return redirect(ctx, outcome.to, outcome.status ?? 303);
    case "refresh_required":
      if (!asJson) return redirect(ctx, outcome.redirectTo);
      return errorJson(ctx, errors.sessionRefreshRequired(outcome.redirectTo));
    case "browser_location_change":
      if (!asJson) return redirect(ctx, outcome.redirectTo);
      return errorJson(ctx, errors.browserLocationChangeRequired(outcome.redirectTo));
    case "error":
      return asJson ? errorJson(ctx, outcome.error) : errorRedirect(ctx, outcome.error);
  }
}
