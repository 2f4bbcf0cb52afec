import type { AppDeps } from "./deps.ts";
import { errorJson, toHttpError } from "./http/respond.ts";
import { createRouter, type Route } from "./http/router.ts";
import { noteRoute } from "./observe/request-id.ts";
import { bodyAbandoned } from "./request/body.ts";
import { RequestContext } from "./request/context.ts";

/**
 * One listener's fetch handler over the route tables of every door (REST, tRPC, pages), composed
 * in app.ts. Each request gets its RequestContext here; an error a route did not deliver itself
 * becomes a Kratos JSON error.
 */
export function serveRoutes(
  deps: AppDeps,
  routes: Route[],
  options: { rewrite?: (url: URL) => URL; auditPerRequest?: boolean } = {},
) {
  const router = createRouter(routes);
  const { rewrite, auditPerRequest } = options;
  return async (req: Request): Promise<Response> => {
    // Admin operations take only the dependencies; their audit lines still name the request.
    const requestDeps: AppDeps = auditPerRequest
      ? { ...deps, audit: (event, fields, from) => deps.audit(event, fields, from ?? req) }
      : deps;
    const ctx = new RequestContext(req, requestDeps, rewrite);
    let res: Response;
    try {
      const { handler, params, pattern } = router(ctx);
      if (pattern) noteRoute(req, pattern);
      res = await handler(ctx, params);
    } catch (err) {
      res = errorJson(ctx, toHttpError(ctx, err));
    }
    if (!bodyAbandoned(req)) return res;
    // Copy first: some responses (Response.redirect, fetched ones) have immutable headers.
    const closing = new Response(res.body, res);
    closing.headers.set("connection", "close");
    return closing;
  };
}
