import type { Caller, FlowOutcome } from "../flows/outcome.ts";
import type { RequestContext } from "./context.ts";
import { HttpError } from "./errors.ts";
import { appendQuery, errorJson, errorRedirect, json, redirect } from "./respond.ts";

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
      return errorJson(
        ctx,
        new HttpError(403, {
          id: "session_refresh_required",
          reason:
            "The login session is too old and thus not allowed to update these fields. Please re-authenticate.",
          extra: { redirect_browser_to: outcome.redirectTo },
        }),
      );
    case "browser_location_change":
      if (!asJson) return redirect(ctx, outcome.redirectTo);
      return errorJson(
        ctx,
        new HttpError(422, {
          id: "browser_location_change_required",
          reason: `In order to complete this flow please redirect the browser to: ${outcome.redirectTo}`,
          message: "browser location change required",
          extra: { redirect_browser_to: outcome.redirectTo },
        }),
      );
    case "error":
      return asJson ? errorJson(ctx, outcome.error) : errorRedirect(ctx, outcome.error);
  }
}
