import type { FlowRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { Caller } from "../../flows/kit/outcome.ts";
import type { Authenticated, LoginStrategy } from "../../flows/login/strategy.ts";
import { createRegistrationFlow, submitRegistration } from "../../flows/registration/service.ts";
import { oidcIdentifier } from "../../identity/admin/imports.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { message, reasonMessage } from "../../ui/messages.ts";
import { duplicateOf, startAccountLinking } from "./account-linking.ts";
import { callbackResult } from "./callback-context.ts";
import { loginWith, providerButtons, required, requireProvider, upstreamOf } from "./common.ts";
import { isLinked } from "./credential.ts";
import { claimsFromIdToken, type ProviderClaims, type ProviderConfig, ProviderError } from "./provider.ts";
import { startRoundTrip } from "./state.ts";

/** Kratos's answer to an api flow that asks for the browser round trip instead of sending an id_token. */
export const NATIVE_NEEDS_ID_TOKEN =
  "Native apps sign in with an OpenID Connect provider by submitting the provider's id_token and the id_token_nonce they used.";

/**
 * Kratos's ProcessLogin with registration disabled and no account to link: ErrRegistrationDisabled,
 * which the login flow shows as its generic 4000001 message carrying the reason.
 */
const registrationDisabled = {
  path: "",
  message: reasonMessage("Registration is not allowed because it was disabled."),
};

/**
 * Signing in with an OpenID provider (Kratos's oidc login strategy): `provider=<id>` starts the round
 * trip (303 / 422 to the provider); the callback resumes the flow with the provider's subject, which
 * must belong to an identity; native apps submit `id_token` and `id_token_nonce` instead.
 */
export const oidcLogin: LoginStrategy = {
  method: "oidc",
  handles: (values) => {
    const method = values.get("method")?.[0];
    return method === "oidc" || (!method && !!values.get("provider")?.[0]);
  },
  nodes(deps, refreshing) {
    // A refresh offers only the providers already linked to the identity (contract §16.1).
    return providerButtons(deps, loginWith, refreshing ? (p) => isLinked(refreshing, p.id) : undefined);
  },
  prepare({ deps, ctx, flow }, values) {
    const providerId = values.get("provider")?.[0] ?? "";
    if (!providerId) return { echo: {}, step: { kind: "issues", issues: [required("provider")] } };
    const provider = requireProvider(deps, providerId);
    const callback = callbackResult(ctx, providerId);
    const idToken = values.get("id_token")?.[0];
    return {
      echo: {},
      step: {
        kind: "ready",
        authenticate: () => providerIssues(authenticate),
      },
    };
    async function authenticate(): Promise<Authenticated> {
      let subject: string;
      let claims: ProviderClaims | undefined;
      if (callback) {
        if (!callback.ok)
          return { kind: "issues", issues: [{ path: "", message: reasonMessage(callback.reason) }] };
        subject = callback.claims.subject;
      } else if (idToken) {
        claims = await claimsFromIdToken(deps, provider, idToken, values.get("id_token_nonce")?.[0]);
        subject = claims.subject;
      } else if (flow.type === "api") {
        return { kind: "issues", issues: [{ path: "", message: reasonMessage(NATIVE_NEEDS_ID_TOKEN) }] };
      } else {
        const to = await startRoundTrip(deps, ctx, flow, provider, {
          identityId: null,
          upstream: upstreamOf(values),
        });
        return { kind: "browser_location_change", to };
      }
      const identity = await deps.store.findIdentityByCredentialIdentifier(
        "oidc",
        oidcIdentifier(providerId, subject),
      );
      if (!identity && claims && !callback && flow.type === "api")
        return nativeSignUp(deps, ctx, flow, values, provider, claims);
      if (!identity && callback && !deps.config.raw.selfservice.flows.registration.enabled)
        return { kind: "issues", issues: [registrationDisabled] };
      if (!identity) return { kind: "issues", issues: [{ path: "", message: message(4000037) }] };
      return { kind: "authenticated", identity, provider: providerId };
    }
  },
};

/**
 * A native id_token whose subject has no identity signs up (Kratos's ProcessLogin for api flows: a
 * new api registration flow (keeping return_to) gets the same submission, and its answer — the successful native
 * registration or that flow with its messages — is the answer). With registration disabled the
 * login flow says so, as Kratos does, unless the email has an account to link (account linking
 * creates nothing, so Kratos allows it then).
 */
async function nativeSignUp(
  deps: AppDeps,
  ctx: RequestContext,
  flow: FlowRecord,
  values: FormValues,
  provider: ProviderConfig,
  claims: ProviderClaims,
): Promise<Authenticated> {
  const caller: Caller = { flowType: "api", json: true };
  if (!deps.config.raw.selfservice.flows.registration.enabled) {
    const duplicate = await duplicateOf(deps, provider, claims);
    if (!duplicate) return { kind: "issues", issues: [registrationDisabled] };
    const outcome = await startAccountLinking(deps, ctx, flow, caller, provider, claims, duplicate);
    return { kind: "outcome", outcome };
  }
  const created = await createRegistrationFlow(deps, ctx, "api", flow.returnTo ?? null, caller);
  if (created.kind !== "form") return { kind: "outcome", outcome: created };
  const { outcome } = await submitRegistration(deps, ctx, {
    flowId: (created.flow as FlowRecord).id,
    readPayload: async () => ({ kind: "form", values }),
    json: true,
  });
  return { kind: "outcome", outcome };
}

/** A provider that cannot be reached or sends something wrong is a message in the flow, not a 500. */
async function providerIssues(run: () => Promise<Authenticated>): Promise<Authenticated> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ProviderError)
      return { kind: "issues", issues: [{ path: "", message: reasonMessage(err.message) }] };
    throw err;
  }
}
