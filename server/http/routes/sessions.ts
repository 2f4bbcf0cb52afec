import {
  listOtherSessions,
  revokeOtherSession,
  revokeOtherSessions,
  whoamiText,
} from "../../session/self-service.ts";
import { empty, json, jsonText } from "../respond.ts";
import { ANY, route } from "../router.ts";

/** `/sessions/whoami` and the signed-in user's own session list (contract §15.3, §15.4). */
export const sessionRoutes = [
  route(ANY, "/sessions/whoami", async (ctx) => {
    const { text, identityId } = await whoamiText(ctx.deps, ctx);
    return jsonText(ctx, 200, text, { "x-kratos-authenticated-identity-id": identityId });
  }),
  route("GET", "/sessions", async (ctx) => json(ctx, 200, await listOtherSessions(ctx.deps, ctx))),
  route("DELETE", "/sessions", async (ctx) => json(ctx, 200, await revokeOtherSessions(ctx.deps, ctx))),
  route("DELETE", "/sessions/:id", async (ctx, params) => {
    await revokeOtherSession(ctx.deps, ctx, params.id!);
    return empty(ctx, 204);
  }),
];
