import {
  createRegistrationFlow,
  getRegistrationFlow,
  registrationFlowJson,
  submitRegistration,
} from "../../flows/registration/service.ts";
import { flowRoutes } from "../flow-routes.ts";

/** Registration for browsers, SPAs and native apps (contract §16.2). */
export const registrationRoutes = flowRoutes({
  kind: "registration",
  uiUrl: (config) => config.ui.registration,
  init: (ctx, type, caller) =>
    createRegistrationFlow(ctx.deps, ctx, type, ctx.url.searchParams.get("return_to"), caller),
  fetch: async (ctx, id) => {
    const flow = await getRegistrationFlow(ctx.deps, ctx, id);
    return { kind: "form", flow, body: registrationFlowJson(flow), status: 200 };
  },
  submit: (ctx, input) => submitRegistration(ctx.deps, ctx, input),
});
