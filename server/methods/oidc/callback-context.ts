import type { RequestContext } from "../../request/context.ts";
import type { ProviderClaims } from "./provider.ts";
import type { RoundTrip } from "./state.ts";

/**
 * What the callback learnt from the provider, handed to the strategy of the flow it resumes. The
 * callback route re-enters the flow engine as a submission naming the provider; only a request that
 * went through the callback (state, continuity cookie, code exchange) carries this, so a submission
 * posted to the flow directly can only ever start a round trip.
 */
export type CallbackResult =
  | { ok: true; trip: RoundTrip; claims: ProviderClaims }
  | { ok: false; trip: RoundTrip; reason: string };

const results = new WeakMap<RequestContext, CallbackResult>();

export function setCallbackResult(ctx: RequestContext, result: CallbackResult): void {
  results.set(ctx, result);
}

/** The callback's result when this request is the callback for `provider`. */
export function callbackResult(
  ctx: RequestContext,
  provider: string | undefined,
): CallbackResult | undefined {
  const r = results.get(ctx);
  return r && r.trip.provider === provider ? r : undefined;
}
