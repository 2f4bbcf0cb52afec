import type { AppDeps } from "../deps.ts";
import type { RequestContext } from "../request/context.ts";
import { redirect } from "./respond.ts";
import { ANY, type Route, route } from "./router.ts";
import { accountRoutes, addressChangeRoutes, adminAccountRoutes } from "./routes/account.ts";
import { adminCourierRoutes } from "./routes/admin-courier.ts";
import { adminIdentityRoutes } from "./routes/admin-identities.ts";
import { adminSessionRoutes } from "./routes/admin-sessions.ts";
import { loginRoutes } from "./routes/login.ts";
import { logoutRoutes } from "./routes/logout.ts";
import { errorContainerRoutes, metaRoutes } from "./routes/meta.ts";
import { oidcCallbackRoutes } from "./routes/oidc-callback.ts";
import { adminOpenApiRoutes, publicOpenApiRoutes } from "./routes/openapi.ts";
import { adminRecoveryRoutes, recoveryRoutes } from "./routes/recovery.ts";
import { registrationRoutes } from "./routes/registration.ts";
import { schemaRoutes } from "./routes/schemas.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { settingsRoutes } from "./routes/settings.ts";
import { verificationRoutes } from "./routes/verification.ts";

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

/** Identity management and the courier queue live on the admin listener, with or without the `/admin` prefix. */
const IDENTITY_PATHS = [
  "/identities",
  "/identities/:id",
  "/identities/:id/credentials/:type",
  "/identities/:id/sessions",
  "/courier/messages",
  "/courier/messages/:id",
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
  "/self-service/verification/browser",
  "/self-service/verification/api",
  "/self-service/verification/flows",
  "/self-service/verification",
  "/self-service/recovery/browser",
  "/self-service/recovery/api",
  "/self-service/recovery/flows",
  "/self-service/recovery",
];

/** The REST adapter's routes on the public listener (Kratos's public API). */
export function publicRestRoutes(): Route[] {
  const toAdmin = redirectTo((d) => d.config.adminUrl.toString());
  return [
    ...metaRoutes,
    ...publicOpenApiRoutes,
    ...errorContainerRoutes,
    ...schemaRoutes,
    ...sessionRoutes,
    ...accountRoutes,
    ...addressChangeRoutes,
    ...logoutRoutes,
    ...loginRoutes,
    ...registrationRoutes,
    ...settingsRoutes,
    ...verificationRoutes,
    ...recoveryRoutes,
    ...oidcCallbackRoutes,
    ...IDENTITY_PATHS.flatMap((p) => [route(ANY, p, toAdmin), route(ANY, `/admin${p}`, toAdmin)]),
  ];
}

/** The REST adapter's routes on the admin listener (Kratos's admin API). */
export function adminRestRoutes(): Route[] {
  const toPublic = redirectTo((d) => d.config.publicBase);
  return [
    ...metaRoutes,
    ...adminOpenApiRoutes,
    ...adminIdentityRoutes,
    ...adminAccountRoutes,
    ...adminSessionRoutes,
    ...adminRecoveryRoutes,
    ...adminCourierRoutes,
    ...SELF_SERVICE_ON_ADMIN.map((p) => route(ANY, p, toPublic)),
  ];
}

/** Kratos serves admin routes under /admin and rewrites bare paths to it; we route on the bare path. */
export function withoutAdminPrefix(url: URL): URL {
  const routed = new URL(url);
  routed.pathname = url.pathname.replace(/^\/admin(?=\/|$)/, "") || "/";
  return routed;
}
