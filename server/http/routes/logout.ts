import { readJsonBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { logoutUrl, logoutWithLogoutToken, logoutWithToken } from "../../session/self-service.ts";
import { deliverError, empty, json, redirect } from "../respond.ts";
import { route } from "../router.ts";

async function createLogoutUrl(ctx: RequestContext): Promise<Response> {
  try {
    return json(ctx, 200, await logoutUrl(ctx.deps, ctx));
  } catch (err) {
    return deliverError(ctx, err, ctx.acceptsJson);
  }
}

async function performLogout(ctx: RequestContext): Promise<Response> {
  try {
    const { redirectTo } = await logoutWithLogoutToken(ctx.deps, ctx, ctx.url.searchParams.get("token"));
    return ctx.acceptsJson ? empty(ctx, 204) : redirect(ctx, redirectTo);
  } catch (err) {
    return deliverError(ctx, err, ctx.acceptsJson);
  }
}

async function logoutApi(ctx: RequestContext): Promise<Response> {
  const body = await readJsonBody(ctx.req);
  await logoutWithToken(ctx.deps, (body as { session_token?: unknown } | undefined)?.session_token, ctx);
  return empty(ctx, 204);
}

/** Logout for browsers and native apps (contract §15.5). */
export const logoutRoutes = [
  route("GET", "/self-service/logout/browser", createLogoutUrl),
  route("GET", "/self-service/logout", performLogout),
  route("DELETE", "/self-service/logout/api", logoutApi),
];
