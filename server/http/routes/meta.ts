import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import { toRfc3339 } from "../../time.ts";
import { json } from "../respond.ts";
import { route } from "../router.ts";

export const VERSION = "0.1.0";

async function ready(ctx: RequestContext) {
  const ok = await ctx.deps.store.ping().catch(() => false);
  return ok
    ? json(ctx, 200, { status: "ok" })
    : json(ctx, 503, { errors: { database: "the database is not reachable" } });
}

/** Health, version and the browser error container (contract §1.3, §16.6). */
export const metaRoutes = [
  route("GET", "/health/alive", (ctx) => json(ctx, 200, { status: "ok" })),
  route("GET", "/health/ready", ready),
  route("GET", "/version", (ctx) => json(ctx, 200, { version: VERSION })),
];

export const errorContainerRoutes = [
  route("GET", "/self-service/errors", async (ctx) => {
    const id = ctx.url.searchParams.get("id") ?? ctx.url.searchParams.get("error");
    if (id === "stub:500") {
      const now = toRfc3339(ctx.deps.clock.now());
      return json(ctx, 200, {
        id,
        error: {
          code: 500,
          status: "Internal Server Error",
          reason: "This is a stub error.",
          message: "An internal server error occurred, please contact the system administrator",
        },
        created_at: now,
        updated_at: now,
      });
    }
    const found = id ? await ctx.deps.store.getError(id).catch(() => undefined) : undefined;
    if (!found) throw errors.notFound();
    await ctx.deps.store.markErrorSeen(found.id, ctx.deps.clock.now());
    return json(ctx, 200, {
      id: found.id,
      error: found.error,
      created_at: toRfc3339(found.createdAt),
      updated_at: toRfc3339(found.updatedAt),
    });
  }),
];
