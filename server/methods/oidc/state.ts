import { randomBytes } from "node:crypto";
import type { ContinuityRecord, FlowKind, FlowRecord } from "../../../db/store.ts";
import { appCipher as cipherOf } from "../../crypto/cipher.ts";
import type { AppDeps } from "../../deps.ts";
import { CONTINUITY_COOKIE } from "../../flows/kit/continuity.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import { authorizationUrl, type ProviderConfig, usesPkce } from "./provider.ts";

/**
 * The OAuth 2 round trip's state (contract §7.2 step 5.3, §7.3 step 1). The `state` parameter is
 * the encrypted `{flow id, flow kind, provider, random}`; the random part, the nonce, the PKCE
 * verifier and the traits submitted with the start live server-side in a continuity container
 * (`ory_kratos_oidc_auth_code_session`, 30 minutes) whose id is in the continuity cookie. A callback
 * must bring both the state and the cookie; the container is consumed on use, so a state replays
 * at most once and a state of another browser or flow is refused.
 */
export const AUTH_CODE_CONTAINER = "ory_kratos_oidc_auth_code_session";
const LIFESPAN_MS = 30 * 60_000;

export interface RoundTrip {
  flowId: string;
  flowKind: FlowKind;
  provider: string;
  state: string;
  nonce: string;
  pkceVerifier?: string;
  /** Traits the person submitted with the start (registration), merged over the mapped ones. */
  traits?: Record<string, unknown>;
}

function cookieOptions(deps: AppDeps, maxAge: number) {
  const { config } = deps;
  return {
    path: config.raw.cookies.path,
    domain: config.raw.cookies.domain,
    maxAge,
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: config.secureCookies ? config.raw.cookies.same_site : ("Lax" as const),
  };
}

const random = (bytes: number) => randomBytes(bytes).toString("base64url");

/** Starts a round trip for the flow: stores the container, sets the cookie, returns the provider URL. */
export async function startRoundTrip(
  deps: AppDeps,
  ctx: RequestContext,
  flow: FlowRecord,
  provider: ProviderConfig,
  opts: { identityId: string | null; traits?: Record<string, unknown>; upstream: Record<string, string> },
): Promise<string> {
  const plain = JSON.stringify({ f: flow.id, k: flow.kind, p: provider.id, r: random(16) });
  const state = cipherOf(deps).encrypt(plain);
  const trip: RoundTrip = {
    flowId: flow.id,
    flowKind: flow.kind,
    provider: provider.id,
    state,
    nonce: random(16),
    ...((await usesPkce(deps, provider)) ? { pkceVerifier: random(32) } : {}),
    ...(opts.traits ? { traits: opts.traits } : {}),
  };
  const now = deps.clock.now();
  const record: ContinuityRecord = {
    id: crypto.randomUUID(),
    name: AUTH_CODE_CONTAINER,
    identityId: opts.identityId,
    payload: trip as unknown as Record<string, unknown>,
    expiresAt: new Date(now.getTime() + LIFESPAN_MS),
    createdAt: now,
  };
  const url = await authorizationUrl(deps, provider, {
    state,
    nonce: trip.nonce,
    pkceVerifier: trip.pkceVerifier,
    upstream: opts.upstream,
  });
  await deps.store.saveContinuity(record);
  ctx.setCookie(CONTINUITY_COOKIE, record.id, cookieOptions(deps, LIFESPAN_MS / 1000));
  return url;
}

const stateError = (reason: string) => errors.badRequest(`Unable to complete OpenID Connect flow ${reason}`);

/** What the state parameter says before the container is looked at. */
export function readState(deps: AppDeps, state: string | null, urlProvider: string | undefined) {
  if (!state) throw stateError("because the OpenID Provider did not return the state query parameter.");
  let parsed: { f?: unknown; k?: unknown; p?: unknown };
  try {
    parsed = JSON.parse(cipherOf(deps).decrypt(state));
  } catch {
    throw stateError("because the state parameter is invalid.");
  }
  if (typeof parsed.f !== "string" || typeof parsed.k !== "string" || typeof parsed.p !== "string")
    throw stateError("because the state parameter is invalid.");
  if (urlProvider !== undefined && urlProvider !== parsed.p)
    throw errors.badRequest(
      "Unable to complete OpenID Connect flow: provider mismatch between internal state and URL.",
    );
  return { flowId: parsed.f, flowKind: parsed.k as FlowKind, provider: parsed.p };
}

/**
 * Takes the round trip the continuity cookie names, when its state is the callback's state; it is
 * consumed, so the same callback cannot be used twice. A container of another round trip is left.
 */
export async function takeRoundTrip(deps: AppDeps, ctx: RequestContext, state: string): Promise<RoundTrip> {
  const mismatch = stateError(
    "because the query state parameter does not match the state parameter from the session cookie.",
  );
  const id = ctx.cookies.get(CONTINUITY_COOKIE);
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) throw mismatch;
  const record = await deps.store.getContinuity(id);
  if (!record || record.name !== AUTH_CODE_CONTAINER) throw mismatch;
  const trip = record.payload as unknown as RoundTrip;
  if (trip.state !== state) throw mismatch;
  await deps.store.deleteContinuity(record.id);
  ctx.setCookie(CONTINUITY_COOKIE, "", cookieOptions(deps, -1));
  if (record.expiresAt.getTime() <= deps.clock.now().getTime()) throw mismatch;
  return trip;
}
