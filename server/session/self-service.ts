import type { SessionJson } from "#shared/session.ts";
import { recordEvents } from "../account/history.ts";
import type { AppDeps } from "../deps.ts";
import type { RequestContext } from "../request/context.ts";
import { errors, type HttpError } from "../request/errors.ts";
import type { ActiveSession } from "./service.ts";

/**
 * The signed-in person's own session operations (contract §15.3–§15.5). The REST routes and the
 * tRPC router both call these, so the two doors answer with the same errors.
 */

const REASON = {
  whoami: "No valid session credentials found in the request.",
  list: "No valid session cookie found.",
};

/** The 401 of the logout endpoints ("request does not have a valid authentication session"). */
export function logoutSessionInactive(): HttpError {
  return errors.sessionInactive(
    "No active session was found in this request.",
    "request does not have a valid authentication session",
  );
}

async function requireSession(deps: AppDeps, ctx: RequestContext, reason: string): Promise<ActiveSession> {
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) throw errors.sessionInactive(reason);
  return active;
}

/** `/sessions/whoami`. */
export async function whoami(
  deps: AppDeps,
  ctx: RequestContext,
): Promise<{ json: SessionJson; identityId: string }> {
  const active = await deps.sessions.forWhoami(ctx);
  if (!active) throw errors.sessionInactive(REASON.whoami);
  const { session, identity } = active;
  return { json: deps.sessions.toJson(session, identity), identityId: identity.id };
}

/** `/sessions/whoami` as JSON text (the REST door: no object in between). */
export async function whoamiText(
  deps: AppDeps,
  ctx: RequestContext,
): Promise<{ text: string; identityId: string }> {
  const answer = await deps.sessions.whoamiText(ctx);
  if (!answer) throw errors.sessionInactive(REASON.whoami);
  return answer;
}

/** `GET /sessions`: the caller's other active sessions. */
export async function listOtherSessions(deps: AppDeps, ctx: RequestContext): Promise<SessionJson[]> {
  const { session, identity } = await requireSession(deps, ctx, REASON.list);
  const all = await deps.store.listSessions(identity.id, { active: true });
  return all
    .filter((s) => s.id !== session.id && deps.sessions.isActive(s, identity))
    .map((s) => deps.sessions.toJson(s, identity));
}

/** `DELETE /sessions`: revokes every other session of the caller. */
export async function revokeOtherSessions(deps: AppDeps, ctx: RequestContext): Promise<{ count: number }> {
  const { session, identity } = await requireSession(deps, ctx, REASON.list);
  const count = await deps.store.revokeSessionsOfIdentity(identity.id, session.id);
  if (count > 0) await recordEvents(deps, ctx, identity.id, "sessions_revoked");
  deps.audit("sessions.revoked", { by: "self", identity_id: identity.id, count }, ctx);
  return { count };
}

/** `DELETE /sessions/{id}`: revokes one other session of the caller. */
export async function revokeOtherSession(deps: AppDeps, ctx: RequestContext, id: string): Promise<void> {
  const { session, identity } = await requireSession(deps, ctx, REASON.list);
  if (id === session.id) throw errors.badRequest("You cannot revoke the current session.");
  const target = await deps.store.getSession(id).catch(() => undefined);
  if (!target || target.identityId !== identity.id) {
    throw errors.notFound();
  }
  await deps.store.revokeSession(target.id);
  await recordEvents(deps, ctx, identity.id, "session_revoked");
  deps.audit("session.revoked", { by: "self", identity_id: identity.id, session_id: target.id }, ctx);
}

/** `DELETE /self-service/logout/api`: a native app ends the session its token names. */
export async function logoutWithToken(deps: AppDeps, token: unknown, ctx: RequestContext): Promise<void> {
  if (typeof token !== "string" || !token) throw errors.badRequest("The session_token field is required.");
  const session = await deps.store.getSessionByToken(token);
  if (!session?.active) {
    throw errors.forbidden({
      reason: "The provided Ory Session Token could not be found, is invalid, or otherwise malformed.",
    });
  }
  await deps.store.revokeSession(session.id);
  deps.audit(
    "session.revoked",
    { by: "logout", identity_id: session.identityId, session_id: session.id },
    ctx,
  );
}

/** Ends the request's own session; a browser also loses its cookie and gets a new CSRF cookie. */
export async function endSession(deps: AppDeps, ctx: RequestContext, active: ActiveSession): Promise<void> {
  await deps.store.revokeSession(active.session.id);
  deps.audit(
    "session.revoked",
    { by: "logout", identity_id: active.identity.id, session_id: active.session.id },
    ctx,
  );
  deps.sessions.clearCookie(ctx);
  ctx.rotateCsrf();
}

/** `GET /self-service/logout/browser`: the URL (and token) that ends the browser's session. */
export async function logoutUrl(
  deps: AppDeps,
  ctx: RequestContext,
): Promise<{ logout_url: string; logout_token: string }> {
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) throw logoutSessionInactive();
  const returnTo = deps.returnTo.fromUrl(ctx.url);
  const url = new URL("self-service/logout", deps.config.publicBase);
  url.searchParams.set("token", active.session.logoutToken);
  if (returnTo) url.searchParams.set("return_to", returnTo);
  return { logout_url: url.toString(), logout_token: active.session.logoutToken };
}

/**
 * `GET /self-service/logout?token=`: ends the browser's session when the logout token matches it
 * (contract §15.5); returns where the browser goes next.
 */
export async function logoutWithLogoutToken(
  deps: AppDeps,
  ctx: RequestContext,
  token: string | null,
): Promise<{ redirectTo: string }> {
  if (!token) throw errors.badRequest("Please include a token in the URL query.");
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) throw logoutSessionInactive();
  if (active.session.logoutToken !== token) {
    throw errors.forbidden({
      reason:
        "Unable to log out because the logout token in the URL query does not match the session cookie.",
    });
  }
  const redirectTo =
    deps.returnTo.fromUrl(ctx.url) ??
    deps.config.raw.selfservice.flows.logout.after.default_browser_return_url ??
    deps.config.defaultReturnUrl;
  await endSession(deps, ctx, active);
  return { redirectTo };
}
