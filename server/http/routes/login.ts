import { createLoginFlow, getLoginFlow, loginFlowJson, submitLogin } from "../../flows/login/service.ts";
import { flowRoutes } from "../flow-routes.ts";

/** Login for browsers, SPAs and native apps (contract §16.1). */
export const loginRoutes = flowRoutes({
  kind: "login",
  uiUrl: (config) => config.ui.login,
  init: (ctx, type, caller) => {
    const q = ctx.url.searchParams;
    const init = {
      type,
      refresh: q.get("refresh") === "true",
      aal: q.get("aal"),
      returnTo: q.get("return_to"),
    };
    return createLoginFlow(ctx.deps, ctx, init, caller);
  },
  fetch: async (ctx, id) => {
    const flow = await getLoginFlow(ctx.deps, ctx, id);
    return { kind: "form", flow, body: loginFlowJson(flow), status: 200 };
  },
  submit: (ctx, input) => submitLogin(ctx.deps, ctx, input),
});
