import { handleCallback } from "../../methods/oidc/callback.ts";
import { readBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { sendOutcome } from "../outcome.ts";
import { deliverError, redirect } from "../respond.ts";
import { route } from "../router.ts";

/**
 * The OIDC callback (contract §7.3). A POST (Apple's `form_post`) answers 302 to the same URL with
 * the form fields in the query, so the browser comes back with a GET that carries its Lax cookies.
 */
async function callback(ctx: RequestContext, provider: string | undefined): Promise<Response> {
  try {
    if (ctx.req.method === "POST") {
      const target = new URL(ctx.url);
      const body = await readBody(ctx.req);
      if (body.kind === "form")
        for (const [k, v] of body.values) if (v[0] !== undefined) target.searchParams.set(k, v[0]);
      return redirect(ctx, target.toString(), 302);
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
