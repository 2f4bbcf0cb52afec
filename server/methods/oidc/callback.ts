import type { FlowRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { Caller, FlowOutcome, Submitted } from "../../flows/kit/outcome.ts";
import { isExpired, loadFlow } from "../../flows/kit/record.ts";
import { createLoginFlow, submitLogin } from "../../flows/login/service.ts";
import { createRegistrationFlow, submitRegistration } from "../../flows/registration/service.ts";
import { submitSettings } from "../../flows/settings/service.ts";
import { oidcIdentifier } from "../../identity/admin/imports.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import { duplicateOf, startAccountLinking } from "./account-linking.ts";
import { type CallbackResult, setCallbackResult } from "./callback-context.ts";
import { exchangeCode, findProvider, ProviderError } from "./provider.ts";
import { type RoundTrip, readState, takeRoundTrip } from "./state.ts";

/**
 * `GET /self-service/methods/oidc/callback/{provider}` (contract §7.3, §16.4): checks the state
 * against the continuity cookie's round trip, asks the provider for the person's claims, and hands
 * them to the flow the round trip started from, as a submission of that flow. A sign-in whose
 * subject has no identity continues as a sign-up, and a sign-up whose subject already has one as a
 * sign-in (Kratos does the same). Errors before a flow is known are thrown (error container / JSON).
 */
export interface CallbackAnswer {
  submitted: Submitted;
  uiUrl: string;
}

export async function handleCallback(
  deps: AppDeps,
  ctx: RequestContext,
  urlProvider: string | undefined,
): Promise<CallbackAnswer> {
  if (!deps.config.raw.selfservice.methods.oidc.enabled) throw errors.methodDisabled();
  const query = ctx.url.searchParams;
  const state = query.get("state");
  const named = readState(deps, state, urlProvider);
  const trip = await takeRoundTrip(deps, ctx, state as string);
  const provider = findProvider(deps.config, named.provider);
  if (!provider)
    throw errors.badRequest(
      "Unable to complete OpenID Connect flow: provider could not be retrieved from state nor URL.",
    );
  const flow = await loadFlow(deps, trip.flowKind, trip.flowId);
  if (flow.type === "api")
    throw errors.badRequest(
      "Native apps complete OpenID Connect sign-in by submitting the provider's id_token; this callback is for browsers.",
    );
  const result = await providerResult(deps, trip, query);
  setCallbackResult(ctx, result);

  const csrf = [ctx.maskedCsrf()];
  const payload = (values: Record<string, string[]>) => async () => ({
    kind: "form" as const,
    values: new Map(Object.entries({ ...values, csrf_token: csrf })),
  });
  const signIn = payload({ method: ["oidc"], provider: [provider.id] });
  const { ui } = deps.config;

  if (flow.kind === "settings") {
    const submitted = await submitSettings(deps, ctx, {
      flowId: flow.id,
      readPayload: payload({ link: [provider.id] }),
      json: false,
    });
    return { submitted, uiUrl: ui.settings };
  }
  const known = result.ok
    ? await deps.store.findIdentityByCredentialIdentifier(
        "oidc",
        oidcIdentifier(provider.id, result.claims.subject),
      )
    : undefined;
  const registrationOn = deps.config.raw.selfservice.flows.registration.enabled;
  const caller: Caller = { flowType: "browser", json: false };

  // An expired flow answers as its own engine does (a replacement with the expired message).
  const expired = isExpired(deps, flow);
  const refresh = flow.kind === "login" && flow.data.refresh === true;
  const inThisLoginFlow = async (): Promise<CallbackAnswer> => ({
    submitted: await submitLogin(deps, ctx, { flowId: flow.id, readPayload: signIn, json: false }),
    uiUrl: ui.login,
  });
  if (flow.kind === "login" && (expired || known || !result.ok || refresh)) return inThisLoginFlow();
  // A sign-up whose email already signs in an account: Kratos's account linking (a login flow, 1010016).
  // A sign-in converts to it even with registration disabled, since it only links and creates nothing.
  if (result.ok && !known && !expired && (registrationOn || flow.kind === "login")) {
    const duplicate = await duplicateOf(deps, provider, result.claims);
    if (duplicate) {
      const outcome = await startAccountLinking(
        deps,
        ctx,
        { type: "browser", returnTo: flow.returnTo },
        caller,
        provider,
        result.claims,
        duplicate,
      );
      return { submitted: { outcome, caller }, uiUrl: ui.login };
    }
  }
  // With registration disabled and nothing to link, the sign-in flow says so (Kratos's ProcessLogin).
  if (flow.kind === "login" && !registrationOn) return inThisLoginFlow();
  if (flow.kind === "registration" && (expired || !known)) {
    return {
      submitted: await submitRegistration(deps, ctx, { flowId: flow.id, readPayload: signIn, json: false }),
      uiUrl: ui.registration,
    };
  }
  // Switch: a sign-in without an account becomes a sign-up, a sign-up of a known account a sign-in.
  const returnTo = flow.returnTo;
  if (flow.kind === "login") {
    const created = await createRegistrationFlow(deps, ctx, "browser", returnTo, caller);
    return switched(created, caller, ui.registration, (id) =>
      submitRegistration(deps, ctx, { flowId: id, readPayload: signIn, json: false }),
    );
  }
  const created = await createLoginFlow(
    deps,
    ctx,
    { type: "browser", refresh: false, aal: null, returnTo },
    caller,
  );
  return switched(created, caller, ui.login, (id) =>
    submitLogin(deps, ctx, { flowId: id, readPayload: signIn, json: false }),
  );
}

async function switched(
  created: FlowOutcome,
  caller: Caller,
  uiUrl: string,
  submit: (flowId: string) => Promise<Submitted>,
): Promise<CallbackAnswer> {
  if (created.kind !== "form") return { submitted: { outcome: created, caller }, uiUrl };
  return { submitted: await submit((created.flow as FlowRecord).id), uiUrl };
}

/** The provider's answer: an error it reports, a missing code, or the claims behind the code. */
async function providerResult(
  deps: AppDeps,
  trip: RoundTrip,
  query: URLSearchParams,
): Promise<CallbackResult> {
  const error = query.get("error");
  if (error) {
    const description = query.get("error_description") ?? "";
    return {
      ok: false,
      trip,
      reason: `Unable to complete OpenID Connect flow because the OpenID Provider returned error "${error}": ${description}`,
    };
  }
  const code = query.get("code");
  if (!code)
    return {
      ok: false,
      trip,
      reason:
        "Unable to complete OpenID Connect flow because the OpenID Provider did not return the code query parameter.",
    };
  const provider = findProvider(deps.config, trip.provider)!;
  try {
    return {
      ok: true,
      trip,
      claims: await exchangeCode(deps, provider, code, trip.pkceVerifier, trip.nonce),
    };
  } catch (err) {
    if (err instanceof ProviderError) return { ok: false, trip, reason: err.message };
    throw err;
  }
}
