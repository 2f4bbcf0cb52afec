import type { AppDeps } from "../deps.ts";
import { bodyAbandoned } from "../request/body.ts";
import { RequestContext } from "../request/context.ts";
import { adminTrpcRoutes, publicTrpcRoutes } from "../trpc/handler.ts";
import { errorJson, redirect, toHttpError } from "./respond.ts";
import { ANY, createRouter, type Route, route } from "./router.ts";
import { adminIdentityRoutes } from "./routes/admin-identities.ts";
import { adminSessionRoutes } from "./routes/admin-sessions.ts";
import { loginRoutes } from "./routes/login.ts";
import { logoutRoutes } from "./routes/logout.ts";
import { errorContainerRoutes, metaRoutes } from "./routes/meta.ts";
import { adminOpenApiRoutes, publicOpenApiRoutes } from "./routes/openapi.ts";
import { registrationRoutes } from "./routes/registration.ts";
import { schemaRoutes } from "./routes/schemas.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { uiRoutes } from "./routes/ui.ts";

/**
 * Answers 307 to the same path and query on another listener (Kratos's cross-listener redirects).
 * On the admin listener the path is already the bare one (its `/admin` prefix is routed away).
 */
function redirectTo(base: (deps: AppDeps) => string) {
  return (ctx: RequestContext) => {
    const target = new URL(ctx.url.pathname.replace(/^\//, "") + ctx.url.search, base(ctx.deps));
    return redirect(ctx, target.toString(), 307);
  };
}

/** Identity management lives on the admin listener, with or without the `/admin` prefix. */
const IDENTITY_PATHS = [
  "/identities",
  "/identities/:id",
  "/identities/:id/credentials/:type",
  "/identities/:id/sessions",
];

const SELF_SERVICE_ON_ADMIN = [
  "/self-service/settings/browser",
  "/self-service/settings/api",
  "/self-service/settings/flows",
  "/self-service/settings",
  "/self-service/login/browser",
  "/self-service/login/api",
  "/self-service/login/flows",
  "/self-service/login",
  "/self-service/registration/browser",
  "/self-service/registration/api",
  "/self-service/registration/flows",
  "/self-service/registration",
];

/** Routes a request through a table; errors a route did not deliver itself become JSON errors. */
function wrap(deps: AppDeps, routes: Route[], rewrite?: (url: URL) => URL) {
  const router = createRouter(routes);
  return async (req: Request): Promise<Response> => {
    const ctx = new RequestContext(req, deps, rewrite);
    let res: Response;
    try {
      const { handler, params } = router(ctx);
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

export function publicHandler(deps: AppDeps) {
  const toAdmin = redirectTo((d) => d.config.adminUrl.toString());
  const routes: Route[] = [
    ...metaRoutes,
    ...publicOpenApiRoutes,
    ...errorContainerRoutes,
    ...schemaRoutes,
    ...sessionRoutes,
    ...logoutRoutes,
    ...loginRoutes,
    ...registrationRoutes,
    ...settingsRoutes,
    ...uiRoutes,
    ...publicTrpcRoutes,
    ...IDENTITY_PATHS.flatMap((p) => [route(ANY, p, toAdmin), route(ANY, `/admin${p}`, toAdmin)]),
  ];
  return wrap(deps, routes);
}

export function adminHandler(deps: AppDeps) {
  const toPublic = redirectTo((d) => d.config.publicBase);
  const routes: Route[] = [
    ...metaRoutes,
    ...adminOpenApiRoutes,
    ...adminIdentityRoutes,
    ...adminSessionRoutes,
    ...adminTrpcRoutes,
    ...SELF_SERVICE_ON_ADMIN.map((p) => route(ANY, p, toPublic)),
  ];
  // Kratos serves admin routes under /admin and rewrites bare paths to it; we route on the bare path.
  return wrap(deps, routes, (url) => {
    const routed = new URL(url);
    routed.pathname = url.pathname.replace(/^\/admin(?=\/|$)/, "") || "/";
    return routed;
  });
}
