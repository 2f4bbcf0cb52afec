import { handleCallback } from "../../methods/oidc/callback.ts";
import { readBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import { sendOutcome } from "../outcome.ts";
import { deliverError, redirect } from "../respond.ts";
import { route } from "../router.ts";

/**
 * The longest URL the POST's redirect carries: a provider's `form_post` (code, state, an id_token,
 * Apple's `user`) stays far below it, and past 8 KiB proxies and HTTP clients refuse the header.
 */
const MAX_REDIRECT_LENGTH = 8192;

/**
 * The OIDC callback (contract §7.3). A POST (Apple's `form_post`) answers 302 to the same URL with
 * the form fields in the query, so the browser comes back with a GET that carries its Lax cookies.
 * Fields too large for a URL are a 400, not a Location header no client would read.
 */
async function callback(ctx: RequestContext, provider: string | undefined): Promise<Response> {
  try {
    if (ctx.req.method === "POST") {
      const target = new URL(ctx.url);
      const body = await readBody(ctx.req);
      if (body.kind === "form")
        for (const [k, v] of body.values) if (v[0] !== undefined) target.searchParams.set(k, v[0]);
      const location = target.toString();
      if (location.length > MAX_REDIRECT_LENGTH) {
        throw errors.badRequest("The callback's form fields are too large to carry in a URL.");
      }
      return redirect(ctx, location, 302);
    }
    const { submitted, uiUrl } = await handleCallback(ctx.deps, ctx, provider);
    return await sendOutcome(ctx, submitted.outcome, submitted.caller, uiUrl);
  } catch (err) {
    return deliverError(ctx, err, ctx.acceptsJson);
  }
}

export const oidcCallbackRoutes = [
  route(["GET", "POST"], "/self-service/methods/oidc/callback/:provider", (ctx, params) =>
    callback(ctx, params.provider),
  ),
  route(["GET", "POST"], "/self-service/methods/oidc/callback", (ctx) => callback(ctx, undefined)),
];
