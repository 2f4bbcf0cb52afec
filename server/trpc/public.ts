import { z } from "zod";
import type { LoginFlowJson, RegistrationFlowJson } from "#shared/flows.ts";
import type { SessionJson } from "#shared/session.ts";
import type { Caller } from "../flows/kit/outcome.ts";
import { createLoginFlow, getLoginFlow, loginFlowJson, submitLogin } from "../flows/login/service.ts";
import {
  createRegistrationFlow,
  getRegistrationFlow,
  registrationFlowJson,
  submitRegistration,
} from "../flows/registration/service.ts";
import {
  endSession,
  listOtherSessions,
  logoutSessionInactive,
  logoutWithToken,
  revokeOtherSession,
  revokeOtherSessions,
  whoami,
} from "../session/self-service.ts";
import { sessionTokenOf } from "../session/service.ts";
import { accountRouter } from "./account.ts";
import { procedure, router } from "./init.ts";
import { expectForm, type FlowResult, jsonSubmission, toResult } from "./outcome.ts";
import { settingsRouter } from "./settings.ts";
import { recoveryRouter, verificationRouter } from "./verification.ts";
import {
  checkedByService,
  createLoginInput,
  createRegistrationInput,
  flowIdInput,
  type LoginSuccess,
  loginPasswordBody,
  type RegistrationSuccess,
  registrationPasswordBody,
} from "./wire.ts";

/**
 * The public tRPC router: thin calls on the same flow services as the REST routes in
 * server/http/routes/. tRPC callers are JSON callers (`json: true`): browser-type flows behave as
 * they do for a single-page app (cookies + CSRF token, JSON instead of redirects).
 */

const registration = router({
  /** `GET /self-service/registration/{browser,api}` for a JSON caller. */
  create: procedure.input(createRegistrationInput).mutation(async ({ ctx, input }) => {
    const caller: Caller = { flowType: input.type, json: true };
    const http = ctx.http.at(`/self-service/registration/${input.type}`, {
      return_to: input.returnTo,
    });
    const outcome = await createRegistrationFlow(ctx.deps, http, input.type, input.returnTo ?? null, caller);
    return expectForm<RegistrationFlowJson>(outcome);
  }),
  /** `GET /self-service/registration/flows?id=`. */
  get: procedure.input(flowIdInput).query(async ({ ctx, input }): Promise<RegistrationFlowJson> => {
    const flow = await getRegistrationFlow(ctx.deps, ctx.http, input.id);
    return registrationFlowJson(flow);
  }),
  /**
   * `POST /self-service/registration?flow=` with a JSON body; `dryRun: true` validates and writes
   * nothing, as REST's `dry_run` (docs/account-features.md).
   */
  submit: procedure
    .input(
      z.object({
        flow: z.string(),
        body: checkedByService(registrationPasswordBody),
        dryRun: z.boolean().optional(),
      }),
    )
    .mutation(async ({ ctx, input }): Promise<FlowResult<RegistrationFlowJson, RegistrationSuccess>> => {
      const http = ctx.http.at("/self-service/registration", { flow: input.flow });
      const { outcome } = await submitRegistration(
        ctx.deps,
        http,
        jsonSubmission(input.flow, input.body, input.dryRun),
      );
      return toResult(outcome);
    }),
});

const login = router({
  /** `GET /self-service/login/{browser,api}?refresh=&aal=&return_to=` for a JSON caller. */
  create: procedure.input(createLoginInput).mutation(async ({ ctx, input }) => {
    const caller: Caller = { flowType: input.type, json: true };
    const http = ctx.http.at(`/self-service/login/${input.type}`, {
      refresh: input.refresh ? "true" : undefined,
      aal: input.aal,
      return_to: input.returnTo,
    });
    const outcome = await createLoginFlow(
      ctx.deps,
      http,
      {
        type: input.type,
        refresh: input.refresh === true,
        aal: input.aal ?? null,
        returnTo: input.returnTo ?? null,
      },
      caller,
    );
    return expectForm<LoginFlowJson>(outcome);
  }),
  /** `GET /self-service/login/flows?id=`. */
  get: procedure.input(flowIdInput).query(async ({ ctx, input }): Promise<LoginFlowJson> => {
    const flow = await getLoginFlow(ctx.deps, ctx.http, input.id);
    return loginFlowJson(flow);
  }),
  /** `POST /self-service/login?flow=` with a JSON body. */
  submit: procedure
    .input(z.object({ flow: z.string(), body: checkedByService(loginPasswordBody) }))
    .mutation(async ({ ctx, input }): Promise<FlowResult<LoginFlowJson, LoginSuccess>> => {
      const http = ctx.http.at("/self-service/login", { flow: input.flow });
      const { outcome } = await submitLogin(ctx.deps, http, jsonSubmission(input.flow, input.body));
      return toResult(outcome);
    }),
});

// --- sessions (contract §15.3–§15.5): the same functions the REST routes call -----------------

const session = router({
  /** `/sessions/whoami`: cookie, `X-Session-Token` or `Authorization: Bearer`. */
  whoami: procedure.query(async ({ ctx }): Promise<SessionJson> => (await whoami(ctx.deps, ctx.http)).json),
  /** `GET /sessions`: the caller's other active sessions. */
  list: procedure.query(({ ctx }): Promise<SessionJson[]> => listOtherSessions(ctx.deps, ctx.http)),
  /** `DELETE /sessions`: revokes every other session of the caller. */
  revokeOthers: procedure.mutation(({ ctx }) => revokeOtherSessions(ctx.deps, ctx.http)),
  /** `DELETE /sessions/{id}`: revokes one other session of the caller. */
  revoke: procedure
    .input(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => revokeOtherSession(ctx.deps, ctx.http, input.id)),
  /**
   * Logout. With `sessionToken`: `DELETE /self-service/logout/api` (native apps). Without: ends the
   * request's own session; a cookie session also gets its cookie cleared and a new CSRF cookie, as
   * `GET /self-service/logout` does. No logout token is needed: tRPC mutations are JSON-only POSTs,
   * which a cross-site page cannot send without passing CORS.
   */
  logout: procedure
    .input(z.object({ sessionToken: z.string() }).optional())
    .mutation(async ({ ctx, input }): Promise<void> => {
      if (input) return logoutWithToken(ctx.deps, input.sessionToken, ctx.http);
      const active = await ctx.deps.sessions.fromRequest(ctx.http);
      if (!active) throw logoutSessionInactive();
      if (sessionTokenOf(ctx.http, ctx.deps.sessions.lucia)?.source === "cookie") {
        await endSession(ctx.deps, ctx.http, active);
      } else {
        await ctx.deps.store.revokeSession(active.session.id);
      }
    }),
});

export const publicRouter = router({
  registration,
  login,
  session,
  settings: settingsRouter,
  verification: verificationRouter,
  recovery: recoveryRouter,
  account: accountRouter,
});

export type PublicRouter = typeof publicRouter;
