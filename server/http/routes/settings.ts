import { createSettingsFlow, fetchSettingsFlow, submitSettings } from "../../flows/settings/service.ts";
import { flowRoutes } from "../flow-routes.ts";
import { redirect } from "../respond.ts";
import { route } from "../router.ts";

/** The settings flow for browsers, SPAs and native apps (contract §4). */
export const settingsRoutes = [
  ...flowRoutes({
    kind: "settings",
    uiUrl: (config) => config.ui.settings,
    init: (ctx, type, caller) =>
      createSettingsFlow(ctx.deps, ctx, type, ctx.url.searchParams.get("return_to"), caller),
    fetch: (ctx, id, json) => fetchSettingsFlow(ctx.deps, ctx, id, json),
    submit: (ctx, input) => submitSettings(ctx.deps, ctx, input),
    resumable: true,
  }),
  route("GET", "/.well-known/change-password", (ctx) => redirect(ctx, ctx.deps.config.ui.settings)),
];
