import { z } from "zod";
import { settingsBody } from "#shared/bodies.ts";
import type { SettingsFlowJson } from "#shared/flows.ts";
import type { Caller } from "../flows/kit/outcome.ts";
import { createSettingsFlow, fetchSettingsFlow, submitSettings } from "../flows/settings/service.ts";
import { procedure, router } from "./init.ts";
import { expectForm, type FlowResult, jsonSubmission, toResult } from "./outcome.ts";
import { checkedByService, flowIdInput, flowTypeInput } from "./wire.ts";

export {
  type SettingsBody,
  settingsBody,
  settingsPasswordBody,
  settingsProfileBody,
} from "#shared/bodies.ts";

/**
 * The settings flow (contract §4) over server/flows/settings/service.ts, the functions the REST
 * routes in server/http/routes/settings.ts call. Validation problems come back as the flow with node
 * messages (`status: "form"`); success as `{ status: "success", ...settingsFlow }` (state `success`,
 * message 1050001, `continue_with`); a session too old for a privileged change is FORBIDDEN with
 * `data.kratos.error.id === "session_refresh_required"` and `redirect_browser_to`; an expired flow
 * PRECONDITION_FAILED (httpStatus 410) with `use_flow_id`.
 */
export const settingsRouter = router({
  /** `GET /self-service/settings/{browser,api}` for a JSON caller (needs a session). */
  create: procedure
    .input(z.object({ type: flowTypeInput, returnTo: z.string().optional() }))
    .mutation(async ({ ctx, input }) => {
      const caller: Caller = { flowType: input.type, json: true };
      const http = ctx.http.at(`/self-service/settings/${input.type}`, {
        return_to: input.returnTo,
      });
      const outcome = await createSettingsFlow(ctx.deps, http, input.type, input.returnTo ?? null, caller);
      return expectForm<SettingsFlowJson>(outcome);
    }),
  /** `GET /self-service/settings/flows?id=` (the signed-in owner only; no CSRF check, as REST). */
  get: procedure.input(flowIdInput).query(async ({ ctx, input }): Promise<SettingsFlowJson> => {
    return expectForm<SettingsFlowJson>(await fetchSettingsFlow(ctx.deps, ctx.http, input.id, true));
  }),
  /**
   * `POST /self-service/settings?flow=` with a JSON body; `dryRun: true` validates and writes
   * nothing, as REST's `dry_run` (docs/account-features.md).
   */
  submit: procedure
    .input(
      z.object({ flow: z.string(), body: checkedByService(settingsBody), dryRun: z.boolean().optional() }),
    )
    .mutation(async ({ ctx, input }): Promise<FlowResult<SettingsFlowJson, SettingsFlowJson>> => {
      // As REST's `POST /self-service/settings?flow=`: what the flow's web hooks see as `request_url`.
      const http = ctx.http.at("/self-service/settings", { flow: input.flow });
      const { outcome } = await submitSettings(
        ctx.deps,
        http,
        jsonSubmission(input.flow, input.body, input.dryRun),
      );
      return toResult(outcome);
    }),
});
