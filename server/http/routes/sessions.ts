import type { RequestContext } from "../context.ts";
import { HttpError } from "../errors.ts";
import { empty, json } from "../respond.ts";
import { ANY, route } from "../router.ts";

const noSession = (reason: string) =>
  new HttpError(401, { id: "session_inactive", reason, message: "The request could not be authorized" });

async function requireSession(ctx: RequestContext, reason: string) {
  const active = await ctx.deps.sessions.fromRequest(ctx);
  if (!active) throw noSession(reason);
  return active;
}

/** `/sessions/whoami` and the signed-in user's own session list (contract §15.3, §15.4). */
export const sessionRoutes = [
  route(ANY, "/sessions/whoami", async (ctx) => {
    const { session, identity } = await requireSession(
      ctx,
      "No valid session credentials found in the request.",
    );
    return json(ctx, 200, ctx.deps.sessions.toJson(session, identity), {
      "x-kratos-authenticated-identity-id": identity.id,
    });
  }),
  route("GET", "/sessions", async (ctx) => {
    const { session, identity } = await requireSession(ctx, "No valid session cookie found.");
    const all = await ctx.deps.store.listSessions(identity.id, { active: true });
    const others = all.filter((s) => s.id !== session.id && ctx.deps.sessions.isActive(s, identity));
    return json(
      ctx,
      200,
      others.map((s) => ctx.deps.sessions.toJson(s, identity)),
    );
  }),
  route("DELETE", "/sessions", async (ctx) => {
    const { session, identity } = await requireSession(ctx, "No valid session cookie found.");
    const count = await ctx.deps.store.revokeSessionsOfIdentity(identity.id, session.id);
    return json(ctx, 200, { count });
  }),
  route("DELETE", "/sessions/:id", async (ctx, params) => {
    const { session, identity } = await requireSession(ctx, "No valid session cookie found.");
    if (params.id === session.id)
      throw new HttpError(400, { reason: "You cannot revoke the current session." });
    const target = await ctx.deps.store.getSession(params.id!).catch(() => undefined);
    if (!target || target.identityId !== identity.id)
      throw new HttpError(404, { message: "Unable to locate the resource" });
    await ctx.deps.store.revokeSession(target.id);
    return empty(ctx, 204);
  }),
];
