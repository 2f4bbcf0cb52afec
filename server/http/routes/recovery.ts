import {
  createAdminRecovery,
  createRecoveryFlow,
  getRecoveryFlow,
  openRecoveryLink,
  recoveryFlowJson,
  submitRecovery,
} from "../../flows/recovery/service.ts";
import { readBody } from "../../request/body.ts";
import { errors } from "../../request/errors.ts";
import { flowRoutes } from "../flow-routes.ts";
import { sendOutcome } from "../outcome.ts";
import { deliverError, errorJson, json, toHttpError } from "../respond.ts";
import { route } from "../router.ts";

const endpoints = flowRoutes({
  kind: "recovery",
  uiUrl: (config) => config.ui.recovery,
  init: (ctx, type, caller) =>
    createRecoveryFlow(ctx.deps, ctx, type, ctx.url.searchParams.get("return_to"), caller),
  fetch: async (ctx, id) => {
    const flow = await getRecoveryFlow(ctx.deps, ctx, id);
    return { kind: "form", flow, body: recoveryFlowJson(flow), status: 200 };
  },
  submit: (ctx, input) => submitRecovery(ctx.deps, ctx, input),
});

/** Account recovery (code or link) for browsers, SPAs and native apps, plus the mailed link. */
export const recoveryRoutes = [
  ...endpoints,
  route("GET", "/self-service/recovery", async (ctx) => {
    const caller = { flowType: "browser" as const, json: false };
    try {
      return await sendOutcome(
        ctx,
        await openRecoveryLink(ctx.deps, ctx),
        caller,
        ctx.deps.config.ui.recovery,
      );
    } catch (err) {
      return deliverError(ctx, err, false);
    }
  }),
];

/** `POST /admin/recovery/{code,link}`: a recovery secret an administrator hands to a person. */
export const adminRecoveryRoutes = (["code", "link"] as const).map((method) =>
  route("POST", `/recovery/${method}`, async (ctx) => {
    try {
      const body = await readBody(ctx.req);
      if (body.kind !== "json") throw errors.badRequest("The request body must be JSON.");
      const result = await createAdminRecovery(ctx.deps, ctx, method, body.value);
      return json(ctx, result.status, result.body);
    } catch (err) {
      return errorJson(ctx, toHttpError(ctx, err));
    }
  }),
);
