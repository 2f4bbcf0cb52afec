import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { FlowIssue } from "../../flows/kit/form.ts";
import type { RegistrationPrepared, RegistrationStrategy } from "../../flows/registration/strategy.ts";
import { formsOf } from "../../identity/forms.ts";
import { newIdentity } from "../../identity/manager.ts";
import type { RequestContext } from "../../request/context.ts";
import { reasonMessage } from "../../ui/messages.ts";
import { profileNodes } from "../../ui/profile-nodes.ts";
import { transientPayloadOf } from "../transient-payload.ts";
import { duplicateOf, startAccountLinking } from "./account-linking.ts";
import { callbackResult } from "./callback-context.ts";
import { providerButtons, required, requireProvider, signUpWith, upstreamOf } from "./common.ts";
import { withLinkedProvider } from "./credential.ts";
import { evaluateMapper, loadMapper, type MappedIdentity, MapperError } from "./mapper.ts";
import { claimsFromIdToken, type ProviderClaims, type ProviderConfig, ProviderError } from "./provider.ts";
import { startRoundTrip } from "./state.ts";

type Prepared = RegistrationPrepared;
const global = (reason: string): FlowIssue[] => [{ path: "", message: reasonMessage(reason) }];

/**
 * Signing up with an OpenID provider (Kratos's oidc registration strategy). `provider=<id>` (with
 * optional `traits`) starts the round trip; on the callback the claims go through the provider's
 * jsonnet mapper, the mapped traits (under the submitted ones) are validated against the identity
 * schema, and the identity is created with its `oidc` credential. Traits that fail the schema bring
 * the form back filled in, so the person completes them and starts again.
 */
export const oidcRegistration: RegistrationStrategy = {
  method: "oidc",
  handles: (values) => {
    const method = values.get("method")?.[0];
    return method === "oidc" || (!method && !!values.get("provider")?.[0]);
  },
  nodes(deps, submitted) {
    const traits = submitted?.traits as Record<string, unknown> | undefined;
    const traitNodes = traits
      ? profileNodes(formsOf(deps, deps.registry.defaultId).profileNodes, traits)
          .filter((n) => n.attributes.name !== "method")
          .map((n) => ({ ...n, group: "oidc" as const }))
      : [];
    return [...traitNodes, ...providerButtons(deps, signUpWith)];
  },
  async prepare({ deps, ctx, flow }, values): Promise<Prepared> {
    const payload = formsOf(deps, deps.registry.defaultId).registrationDecoder.decode(values);
    // Only traits the person actually sent count (the decoder fills in empty objects).
    const sentTraits = [...values.keys()].some((k) => k === "traits" || k.startsWith("traits."));
    const submittedTraits = sentTraits ? (payload.traits as Record<string, unknown> | undefined) : undefined;
    const transientPayload = transientPayloadOf(payload);
    const providerId = values.get("provider")?.[0] ?? "";
    const submitted = submittedTraits ? { traits: submittedTraits } : {};
    if (!providerId)
      return { submitted, transientPayload, step: { kind: "issues", issues: [required("provider")] } };
    const provider = requireProvider(deps, providerId);
    const callback = callbackResult(ctx, providerId);
    const idToken = values.get("id_token")?.[0];

    let claims: ProviderClaims;
    let traitsOverMapped: Record<string, unknown> | undefined = submittedTraits;
    if (callback) {
      traitsOverMapped = callback.trip.traits;
      const echo = callback.trip.traits ? { traits: callback.trip.traits } : {};
      if (!callback.ok)
        return {
          submitted: echo,
          transientPayload,
          step: { kind: "issues", issues: global(callback.reason) },
        };
      claims = callback.claims;
    } else if (idToken) {
      try {
        claims = await claimsFromIdToken(deps, provider, idToken, values.get("id_token_nonce")?.[0]);
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        return { submitted, transientPayload, step: { kind: "issues", issues: global(err.message) } };
      }
    } else {
      return {
        submitted,
        transientPayload,
        step: {
          kind: "ready",
          async complete() {
            if (flow.type === "api")
              return {
                kind: "issues",
                issues: global(
                  "Native apps sign up with an OpenID Connect provider by submitting the provider's id_token and the id_token_nonce they used.",
                ),
              };
            try {
              const to = await startRoundTrip(deps, ctx, flow, provider, {
                identityId: null,
                ...(submittedTraits ? { traits: submittedTraits } : {}),
                upstream: upstreamOf(values),
              });
              return { kind: "browser_location_change", to };
            } catch (err) {
              if (err instanceof ProviderError) return { kind: "issues", issues: global(err.message) };
              throw err;
            }
          },
        },
      };
    }
    const prepared = await identityFromClaims(deps, provider, claims, traitsOverMapped, transientPayload);
    // The browser callback links before it gets here (callback.ts); an id_token submission links here.
    return callback ? prepared : linkingDuplicates(deps, ctx, flow, provider, claims, prepared);
  },
};

/**
 * Kratos's processRegistration → ErrDuplicateCredentials → registrationToLogin: a sign-up whose
 * mapped email already signs in an account creates nothing and answers with a login flow that links
 * the provider once the person signs in there (account-linking.ts).
 */
function linkingDuplicates(
  deps: AppDeps,
  ctx: RequestContext,
  flow: FlowRecord,
  provider: ProviderConfig,
  claims: ProviderClaims,
  prepared: Prepared,
): Prepared {
  if (prepared.step.kind !== "ready") return prepared;
  const { complete } = prepared.step;
  return {
    ...prepared,
    step: {
      kind: "ready",
      async complete() {
        const duplicate = await duplicateOf(deps, provider, claims);
        if (!duplicate) return complete();
        return {
          kind: "outcome",
          answer: (caller) =>
            startAccountLinking(
              deps,
              ctx,
              { type: flow.type, returnTo: flow.returnTo },
              caller,
              provider,
              claims,
              duplicate,
            ),
        };
      },
    },
  };
}

/** Runs the mapper and builds the identity; mapper and schema failures come back as form issues. */
async function identityFromClaims(
  deps: AppDeps,
  provider: ProviderConfig,
  claims: ProviderClaims,
  submittedTraits: Record<string, unknown> | undefined,
  transientPayload: Record<string, unknown> | undefined,
): Promise<Prepared> {
  let mapped: MappedIdentity;
  try {
    mapped = await evaluateMapper(await loadMapper(provider.mapper_url), claims.claims);
  } catch (err) {
    if (!(err instanceof MapperError)) throw err;
    const submitted = submittedTraits ? { traits: submittedTraits } : {};
    return { submitted, transientPayload, step: { kind: "issues", issues: global(err.message) } };
  }
  const traits = mergeTraits(mapped.traits, submittedTraits ?? {});
  const built = newIdentity(deps, {
    schemaId: deps.registry.defaultId,
    traits,
    metadataPublic: mapped.metadataPublic,
    metadataAdmin: mapped.metadataAdmin,
  });
  if (!built.ok)
    return { submitted: { traits }, transientPayload, step: { kind: "issues", issues: [...built.issues] } };
  const identity = markVerified(deps, withLinkedProvider(deps, built.identity, provider.id, claims), mapped);
  return {
    submitted: { traits },
    transientPayload,
    step: { kind: "ready", complete: async () => ({ kind: "identity", identity, provider: provider.id }) },
  };
}

/** The addresses the mapper vouches for (`verified_addresses`) start out verified. */
function markVerified(deps: AppDeps, identity: FullIdentity, mapped: MappedIdentity): FullIdentity {
  if (mapped.verifiedAddresses.length === 0) return identity;
  const now = deps.clock.now();
  const vouched = new Set(mapped.verifiedAddresses.map((a) => `${a.via}\u0000${a.value.toLowerCase()}`));
  return {
    ...identity,
    verifiableAddresses: identity.verifiableAddresses.map((a) =>
      vouched.has(`${a.via}\u0000${a.value.toLowerCase()}`)
        ? { ...a, verified: true, status: "completed" as const, verifiedAt: now }
        : a,
    ),
  };
}

/** The submitted traits over the mapped ones, object by object; empty values do not erase. */
function mergeTraits(
  mapped: Record<string, unknown>,
  submitted: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...mapped };
  for (const [key, value] of Object.entries(submitted)) {
    const under = out[key];
    if (
      value &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      under &&
      typeof under === "object" &&
      !Array.isArray(under)
    )
      out[key] = mergeTraits(under as Record<string, unknown>, value as Record<string, unknown>);
    else if (
      value !== undefined &&
      value !== "" &&
      !(typeof value === "object" && value !== null && Object.keys(value).length === 0)
    )
      out[key] = value;
  }
  return out;
}
