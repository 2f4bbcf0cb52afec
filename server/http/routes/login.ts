import type { Caller } from "../../flows/kit/outcome.ts";
import { createLoginFlow, getLoginFlow, loginFlowJson, submitLogin } from "../../flows/login/service.ts";
import { readBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { sendOutcome } from "../outcome.ts";
import { deliverError, errorJson, json, toHttpError } from "../respond.ts";
import { route } from "../router.ts";

function initLogin(type: "browser" | "api") {
  return async (ctx: RequestContext) => {
    const caller: Caller = { flowType: type, json: type === "api" || ctx.acceptsJson };
    try {
      const q = ctx.url.searchParams;
      const outcome = await createLoginFlow(
        ctx.deps,
        ctx,
        { type, refresh: q.get("refresh") === "true", aal: q.get("aal"), returnTo: q.get("return_to") },
        caller,
      );
      return sendOutcome(ctx, outcome, caller, ctx.deps.config.ui.login);
    } catch (err) {
      return deliverError(ctx, err, caller.json);
    }
  };
}

async function fetchLogin(ctx: RequestContext) {
  try {
    const flow = await getLoginFlow(ctx.deps, ctx, ctx.url.searchParams.get("id"));
    return json(ctx, 200, loginFlowJson(flow));
  } catch (err) {
    return errorJson(ctx, toHttpError(ctx, err));
  }
}

async function submit(ctx: RequestContext) {
  const json = ctx.isJson;
  try {
    const { outcome, caller } = await submitLogin(
      ctx.deps,
      ctx,
      ctx.url.searchParams.get("flow"),
      () => readBody(ctx.req),
      { json },
    );
    return sendOutcome(ctx, outcome, caller, ctx.deps.config.ui.login);
  } catch (err) {
    return deliverError(ctx, err, json);
  }
}

/** Login for browsers, SPAs and native apps (contract §16.1). */
export const loginRoutes = [
  route("GET", "/self-service/login/browser", initLogin("browser")),
  route("GET", "/self-service/login/api", initLogin("api")),
  route("GET", "/self-service/login/flows", fetchLogin),
  route("POST", "/self-service/login", submit),
];
