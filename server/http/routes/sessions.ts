import {
  listOtherSessions,
  revokeOtherSession,
  revokeOtherSessions,
  whoami,
} from "../../session/self-service.ts";
import { empty, json } from "../respond.ts";
import { ANY, route } from "../router.ts";

/** `/sessions/whoami` and the signed-in user's own session list (contract §15.3, §15.4). */
export const sessionRoutes = [
  route(ANY, "/sessions/whoami", async (ctx) => {
    const { json: body, identityId } = await whoami(ctx.deps, ctx);
    return json(ctx, 200, body, { "x-kratos-authenticated-identity-id": identityId });
  }),
  route("GET", "/sessions", async (ctx) => json(ctx, 200, await listOtherSessions(ctx.deps, ctx))),
  route("DELETE", "/sessions", async (ctx) => json(ctx, 200, await revokeOtherSessions(ctx.deps, ctx))),
  route("DELETE", "/sessions/:id", async (ctx, params) => {
    await revokeOtherSession(ctx.deps, ctx, params.id!);
    return empty(ctx, 204);
  }),
];
