import type { Caller } from "../../flows/kit/outcome.ts";
import {
  createRegistrationFlow,
  getRegistrationFlow,
  registrationFlowJson,
  submitRegistration,
} from "../../flows/registration/service.ts";
import { readBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { sendOutcome } from "../outcome.ts";
import { deliverError, errorJson, json, toHttpError } from "../respond.ts";
import { route } from "../router.ts";

function init(type: "browser" | "api") {
  return async (ctx: RequestContext) => {
    const caller: Caller = { flowType: type, json: type === "api" || ctx.acceptsJson };
    try {
      const outcome = await createRegistrationFlow(
        ctx.deps,
        ctx,
        type,
        ctx.url.searchParams.get("return_to"),
        caller,
      );
      return sendOutcome(ctx, outcome, caller, ctx.deps.config.ui.registration);
    } catch (err) {
      return deliverError(ctx, err, caller.json);
    }
  };
}

async function fetchFlow(ctx: RequestContext) {
  try {
    const flow = await getRegistrationFlow(ctx.deps, ctx, ctx.url.searchParams.get("id"));
    return json(ctx, 200, registrationFlowJson(flow));
  } catch (err) {
    return errorJson(ctx, toHttpError(ctx, err));
  }
}

async function submit(ctx: RequestContext) {
  const asJson = ctx.isJson;
  try {
    const { outcome, caller } = await submitRegistration(
      ctx.deps,
      ctx,
      ctx.url.searchParams.get("flow"),
      () => readBody(ctx.req),
      asJson,
    );
    return sendOutcome(ctx, outcome, caller, ctx.deps.config.ui.registration);
  } catch (err) {
    return deliverError(ctx, err, asJson);
  }
}

/** Registration for browsers, SPAs and native apps (contract §16.2). */
export const registrationRoutes = [
  route("GET", "/self-service/registration/browser", init("browser")),
  route("GET", "/self-service/registration/api", init("api")),
  route("GET", "/self-service/registration/flows", fetchFlow),
  route("POST", "/self-service/registration", submit),
];
