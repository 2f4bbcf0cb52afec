import { z } from "zod";
import type { FlowOutcome } from "../flows/kit/outcome.ts";
import {
  createRecoveryFlow,
  getRecoveryFlow,
  type RecoveryFlowJson,
  recoveryFlowJson,
  submitRecovery,
} from "../flows/recovery/service.ts";
import {
  createVerificationFlow,
  getVerificationFlow,
  submitVerification,
  type VerificationFlowJson,
  verificationFlowJson,
} from "../flows/verification/service.ts";
import { errors } from "../request/errors.ts";
import { procedure, router } from "./init.ts";
import { expectForm, type FlowResult, jsonSubmission, toResult, toTRPCError } from "./outcome.ts";
import { flowIdInput, flowTypeInput } from "./wire.ts";

/** Bodies of `POST /self-service/{verification,recovery}` (Kratos's code and link methods). */
const oneTimeBody = z.object({
  method: z.enum(["code", "link"]),
  email: z.string().optional(),
  code: z.string().optional(),
  csrf_token: z.string().optional(),
  transient_payload: z.record(z.string(), z.unknown()).optional(),
});

const createInput = z.object({ type: flowTypeInput, returnTo: z.string().optional() });

/**
 * REST answers a JSON caller's submission to an expired flow with a 303 to the replacement flow
 * (Kratos); a tRPC caller gets the 410 `self_service_flow_expired` naming it instead.
 */
function expiredAsError(outcome: FlowOutcome): FlowOutcome {
  if (outcome.kind !== "redirect") return outcome;
  const replacement = new URL(outcome.to).searchParams.get("id") ?? undefined;
  throw toTRPCError(
    errors.flowExpired({
      reason: "The self-service flow expired, use the replacement flow.",
      message: "self-service flow expired",
      extra: { use_flow_id: replacement },
    }),
  );
}

export const verificationRouter = router({
  /** `GET /self-service/verification/{browser,api}` for a JSON caller. */
  create: procedure.input(createInput).mutation(async ({ ctx, input }) => {
    const http = ctx.http.at(`/self-service/verification/${input.type}`, { return_to: input.returnTo });
    const outcome = await createVerificationFlow(ctx.deps, http, input.type, input.returnTo ?? null, {
      flowType: input.type,
      json: true,
    });
    return expectForm<VerificationFlowJson>(outcome);
  }),
  /** `GET /self-service/verification/flows?id=`. */
  get: procedure
    .input(flowIdInput)
    .query(async ({ ctx, input }) =>
      verificationFlowJson(await getVerificationFlow(ctx.deps, ctx.http, input.id)),
    ),
  /** `POST /self-service/verification?flow=`: send a code (`email`) or use one (`code`). */
  submit: procedure
    .input(z.object({ flow: z.string(), body: oneTimeBody }))
    .mutation(async ({ ctx, input }): Promise<FlowResult<VerificationFlowJson, VerificationFlowJson>> => {
      const http = ctx.http.at("/self-service/verification", { flow: input.flow });
      const { outcome } = await submitVerification(ctx.deps, http, jsonSubmission(input.flow, input.body));
      return toResult(expiredAsError(outcome));
    }),
});

export const recoveryRouter = router({
  /** `GET /self-service/recovery/{browser,api}` for a JSON caller. */
  create: procedure.input(createInput).mutation(async ({ ctx, input }) => {
    const http = ctx.http.at(`/self-service/recovery/${input.type}`, { return_to: input.returnTo });
    const outcome = await createRecoveryFlow(ctx.deps, http, input.type, input.returnTo ?? null, {
      flowType: input.type,
      json: true,
    });
    return expectForm<RecoveryFlowJson>(outcome);
  }),
  /** `GET /self-service/recovery/flows?id=`. */
  get: procedure
    .input(flowIdInput)
    .query(async ({ ctx, input }) => recoveryFlowJson(await getRecoveryFlow(ctx.deps, ctx.http, input.id))),
  /** `POST /self-service/recovery?flow=`: ends in a session and a settings flow (continue_with). */
  submit: procedure
    .input(z.object({ flow: z.string(), body: oneTimeBody }))
    .mutation(async ({ ctx, input }): Promise<FlowResult<RecoveryFlowJson, RecoveryFlowJson>> => {
      const http = ctx.http.at("/self-service/recovery", { flow: input.flow });
      const { outcome } = await submitRecovery(ctx.deps, http, jsonSubmission(input.flow, input.body));
      return toResult(expiredAsError(outcome));
    }),
});
