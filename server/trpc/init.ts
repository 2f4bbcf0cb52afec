import { initTRPC } from "@trpc/server";
import { errors, HttpError } from "../request/errors.ts";
import type { TrpcContext } from "./context.ts";
import { formatError, toTRPCError } from "./outcome.ts";

/** One tRPC instance for the public and the admin router: same context, same error shape. */
const t = initTRPC.context<TrpcContext>().create({ errorFormatter: formatError });

export const router = t.router;

/**
 * Every procedure goes through these two steps:
 * - an HttpError thrown anywhere below (a service, a procedure) becomes the TRPCError with the code
 *   for its status, so `onError` and the client see NOT_FOUND, not INTERNAL_SERVER_ERROR;
 * - a POST must be `application/json` (what the typed client sends). tRPC itself would also take
 *   `multipart/form-data`, which a cross-site HTML form can post without a CORS preflight; refusing
 *   it keeps cookie-authenticated mutations (logout, revoking sessions) safe from CSRF.
 */
export const procedure = t.procedure
  .use(async ({ next }) => {
    const result = await next();
    if (!result.ok && result.error.cause instanceof HttpError) {
      return { ...result, error: toTRPCError(result.error.cause) };
    }
    return result;
  })
  .use(({ ctx, next }) => {
    const { req } = ctx.http;
    const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (req.method === "POST" && type !== "application/json") {
      throw errors.unsupportedMediaType(
        `tRPC calls must be sent as application/json, not "${req.headers.get("content-type") ?? ""}".`,
      );
    }
    return next();
  });
