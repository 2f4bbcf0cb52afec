import type { AnyTRPCRouter } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { type Route, route } from "../http/router.ts";
import { boundedJsonRequest } from "../request/body.ts";
import type { RequestContext } from "../request/context.ts";
import { HttpError } from "../request/errors.ts";
import { createContextFactory } from "./context.ts";

const NO_CACHE = "private, no-cache, no-store, must-revalidate";

/** Serves one tRPC request (a single call or a `?batch=1` batch) on a listener's RequestContext. */
function serveTrpc(router: AnyTRPCRouter) {
  return (http: RequestContext): Promise<Response> => {
    // The admin listener accepts /admin/trpc/... as well as /trpc/...; the adapter needs the real prefix.
    const original = new URL(http.req.url).pathname;
    const endpoint = original.startsWith("/admin/") ? "/admin/trpc" : "/trpc";
    return fetchRequestHandler({
      endpoint,
      req: boundedJsonRequest(http.req),
      router,
      createContext: createContextFactory(http),
      // The one place cookies leave: every cookie the calls set (session, CSRF), after all of them
      // finished. (A streamed response, httpBatchStreamLink, sends headers first: it cannot set cookies.)
      responseMeta: ({ errors }) => {
        const headers = new Headers();
        // tRPC answers requests it refuses before routing (wrong method or content type) with a JSON
        // body but no content type, which the Response then calls text/plain.
        if (errors.length > 0) headers.set("content-type", "application/json");
        for (const cookie of http.setCookies) headers.append("set-cookie", cookie);
        headers.append("vary", "Cookie");
        if (http.req.method === "GET") headers.set("cache-control", NO_CACHE);
        return { headers };
      },
      onError: ({ error, path }) => {
        if (error.code === "INTERNAL_SERVER_ERROR" && !(error.cause instanceof HttpError)) {
          const cause = error.cause ?? error;
          http.deps.logger.error("unhandled error", {
            error: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause),
            path: http.url.pathname,
            procedure: path ?? "",
          });
        }
      },
    });
  };
}

/**
 * The tRPC door: `/trpc/<procedure>` and `/trpc/<a>,<b>?batch=1`, mounted by server/app.ts on
 * the public listener (public router) and on the admin listener (admin router; the listener strips
 * an `/admin` prefix before routing).
 */
export function trpcRoutes(router: AnyTRPCRouter): Route[] {
  return [route(["GET", "POST"], "/trpc/:procedure", serveTrpc(router))];
}
