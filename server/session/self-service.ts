import type { SessionJson } from "../../shared/session.ts";
import type { AppDeps } from "../deps.ts";
import type { RequestContext } from "../request/context.ts";
import { HttpError } from "../request/errors.ts";
import type { ActiveSession } from "./service.ts";

/**
 * The signed-in person's own session operations (contract §15.3–§15.5). The REST routes and the
 * tRPC router both call these, so the two doors answer with the same errors.
 */

const REASON = {
  whoami: "No valid session credentials found in the request.",
  list: "No valid session cookie found.",
};

export function sessionInactive(reason: string): HttpError {
  return new HttpError(401, {
    id: "session_inactive",
    reason,
    message: "The request could not be authorized",
  });
}

/** The 401 of the logout endpoints ("request does not have a valid authentication session"). */
export function logoutSessionInactive(): HttpError {
  return new HttpError(401, {
    id: "session_inactive",
    reason: "No active session was found in this request.",
    message: "request does not have a valid authentication session",
  });
}

async function requireSession(deps: AppDeps, ctx: RequestContext, reason: string): Promise<ActiveSession> {
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) throw sessionInactive(reason);
  return active;
}

/** `/sessions/whoami`. */
export async function whoami(
  deps: AppDeps,
  ctx: RequestContext,
): Promise<{ json: SessionJson; identityId: string }> {
  const { session, identity } = await requireSession(deps, ctx, REASON.whoami);
  return { json: deps.sessions.toJson(session, identity), identityId: identity.id };
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
  return { count: await deps.store.revokeSessionsOfIdentity(identity.id, session.id) };
}

/** `DELETE /sessions/{id}`: revokes one other session of the caller. */
export async function revokeOtherSession(deps: AppDeps, ctx: RequestContext, id: string): Promise<void> {
  const { session, identity } = await requireSession(deps, ctx, REASON.list);
  if (id === session.id) throw new HttpError(400, { reason: "You cannot revoke the current session." });
  const target = await deps.store.getSession(id).catch(() => undefined);
  if (!target || target.identityId !== identity.id) {
    throw new HttpError(404, { message: "Unable to locate the resource" });
  }
  await deps.store.revokeSession(target.id);
}

/** `DELETE /self-service/logout/api`: a native app ends the session its token names. */
export async function logoutWithToken(deps: AppDeps, token: unknown): Promise<void> {
  if (typeof token !== "string" || !token)
    throw new HttpError(400, { reason: "The session_token field is required." });
  const session = await deps.store.getSessionByToken(token);
  if (!session?.active) {
    throw new HttpError(403, {
      reason: "The provided Ory Session Token could not be found, is invalid, or otherwise malformed.",
    });
  }
  await deps.store.revokeSession(session.id);
}

/** Ends the request's own session; a browser also loses its cookie and gets a new CSRF cookie. */
export async function endSession(deps: AppDeps, ctx: RequestContext, active: ActiveSession): Promise<void> {
  await deps.store.revokeSession(active.session.id);
  deps.sessions.clearCookie(ctx);
  ctx.rotateCsrf();
}
