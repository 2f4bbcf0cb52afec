import type { Caller } from "../../flows/kit/outcome.ts";
import {
  createSettingsFlow,
  getSettingsFlow,
  noSessionError,
  submitSettings,
} from "../../flows/settings/service.ts";
import { readBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { sendOutcome } from "../outcome.ts";
import { deliverError, errorJson, json, redirect, toHttpError } from "../respond.ts";
import { route } from "../router.ts";

function init(type: "browser" | "api") {
  return async (ctx: RequestContext) => {
    const caller: Caller = { flowType: type, json: type === "api" || ctx.acceptsJson };
    try {
      const outcome = await createSettingsFlow(
        ctx.deps,
        ctx,
        type,
        ctx.url.searchParams.get("return_to"),
        caller,
      );
      return sendOutcome(ctx, outcome, caller, ctx.deps.config.ui.settings);
    } catch (err) {
      return deliverError(ctx, err, caller.json);
    }
  };
}

/** No CSRF check here, unlike login/registration fetches (contract §4.3). */
async function fetchFlow(ctx: RequestContext) {
  const active = await ctx.deps.sessions.fromRequest(ctx);
  if (!active) {
    return ctx.isJson ? errorJson(ctx, noSessionError()) : redirect(ctx, ctx.deps.config.ui.login, 302);
  }
  try {
    return json(ctx, 200, await getSettingsFlow(ctx.deps, active, ctx.url.searchParams.get("id")));
  } catch (err) {
    return errorJson(ctx, toHttpError(ctx, err));
  }
}

function submit(resume: boolean) {
  return async (ctx: RequestContext) => {
    const asJson = ctx.isJson;
    try {
      const result = await submitSettings(ctx.deps, ctx, {
        flowId: ctx.url.searchParams.get("flow"),
        readPayload: resume ? undefined : () => readBody(ctx.req),
        json: asJson,
      });
      if ("loginUi" in result) return redirect(ctx, result.loginUi, 302);
      return sendOutcome(ctx, result.outcome, result.caller, ctx.deps.config.ui.settings);
    } catch (err) {
      return deliverError(ctx, err, asJson);
    }
  };
}

/** The settings flow for browsers, SPAs and native apps (contract §4). */
export const settingsRoutes = [
  route("GET", "/self-service/settings/browser", init("browser")),
  route("GET", "/self-service/settings/api", init("api")),
  route("GET", "/self-service/settings/flows", fetchFlow),
  route("POST", "/self-service/settings", submit(false)),
  route("GET", "/self-service/settings", submit(true)),
  route("GET", "/.well-known/change-password", (ctx) => redirect(ctx, ctx.deps.config.ui.settings)),
];
