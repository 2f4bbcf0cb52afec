import {
  createVerificationFlow,
  getVerificationFlow,
  openVerificationLink,
  submitVerification,
  verificationFlowJson,
} from "../../flows/verification/service.ts";
import { flowRoutes } from "../flow-routes.ts";
import { sendOutcome } from "../outcome.ts";
import { deliverError } from "../respond.ts";
import { route } from "../router.ts";

const endpoints = flowRoutes({
  kind: "verification",
  uiUrl: (config) => config.ui.verification,
  init: (ctx, type, caller) =>
    createVerificationFlow(ctx.deps, ctx, type, ctx.url.searchParams.get("return_to"), caller),
  fetch: async (ctx, id) => {
    const flow = await getVerificationFlow(ctx.deps, ctx, id);
    return { kind: "form", flow, body: verificationFlowJson(flow), status: 200 };
  },
  submit: (ctx, input) => submitVerification(ctx.deps, ctx, input),
});

/** Verification for browsers, SPAs and native apps (contract §16.3), plus the mailed link. */
export const verificationRoutes = [
  ...endpoints,
  route("GET", "/self-service/verification", async (ctx) => {
    const caller = { flowType: "browser" as const, json: false };
    try {
      return await sendOutcome(
        ctx,
        await openVerificationLink(ctx.deps, ctx),
        caller,
        ctx.deps.config.ui.verification,
      );
    } catch (err) {
      return deliverError(ctx, err, false);
    }
  }),
];
