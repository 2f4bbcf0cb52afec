import { readJsonBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { HttpError } from "../../request/errors.ts";
import { endSession, logoutSessionInactive, logoutWithToken } from "../../session/self-service.ts";
import { deliverError, empty, json, redirect } from "../respond.ts";
import { route } from "../router.ts";

async function createLogoutUrl(ctx: RequestContext): Promise<Response> {
  try {
    const active = await ctx.deps.sessions.fromRequest(ctx);
    if (!active) throw logoutSessionInactive();
    const returnTo = ctx.deps.returnTo.fromUrl(ctx.url);
    const url = new URL("self-service/logout", ctx.deps.config.publicBase);
    url.searchParams.set("token", active.session.logoutToken);
    if (returnTo) url.searchParams.set("return_to", returnTo);
    return json(ctx, 200, { logout_url: url.toString(), logout_token: active.session.logoutToken });
  } catch (err) {
    return deliverError(ctx, err, ctx.acceptsJson);
  }
}

async function performLogout(ctx: RequestContext): Promise<Response> {
  try {
    const token = ctx.url.searchParams.get("token");
    if (!token) throw new HttpError(400, { reason: "Please include a token in the URL query." });
    const active = await ctx.deps.sessions.fromRequest(ctx);
    if (!active) throw logoutSessionInactive();
    if (active.session.logoutToken !== token) {
      throw new HttpError(403, {
        reason:
          "Unable to log out because the logout token in the URL query does not match the session cookie.",
      });
    }
    const { config } = ctx.deps;
    const target =
      ctx.deps.returnTo.fromUrl(ctx.url) ??
      config.raw.selfservice.flows.logout.after.default_browser_return_url ??
      config.defaultReturnUrl;
    await endSession(ctx.deps, ctx, active);
    return ctx.acceptsJson ? empty(ctx, 204) : redirect(ctx, target);
  } catch (err) {
    return deliverError(ctx, err, ctx.acceptsJson);
  }
}

async function logoutApi(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.req);
  await logoutWithToken(ctx.deps, (body as { session_token?: unknown } | undefined)?.session_token);
  return empty(ctx, 204);
}

/** Logout for browsers and native apps (contract §15.5). */
export const logoutRoutes = [
  route("GET", "/self-service/logout/browser", createLogoutUrl),
  route("GET", "/self-service/logout", performLogout),
  route("DELETE", "/self-service/logout/api", logoutApi),
];
