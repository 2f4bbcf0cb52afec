import type { FetchCreateContextFnOptions } from "@trpc/server/adapters/fetch";
import type { AppDeps } from "../deps.ts";
import type { RequestContext } from "../request/context.ts";

/**
 * The tRPC context: one per HTTP request (a batch of calls shares it). `http` is the same
 * `RequestContext` the REST routes use (cookies, cookies to set, CSRF); its `setCookies` are copied
 * into the response once, by `responseMeta` in `handler.ts`, after every call of the batch is done.
 */
export interface TrpcContext {
  http: RequestContext;
  deps: AppDeps;
  /** The fetch adapter's response headers. */
  resHeaders: Headers;
}

/** The fetch adapter's `createContext` for a request the listener already wrapped in a `RequestContext`. */
export function createContextFactory(http: RequestContext) {
  return ({ resHeaders }: FetchCreateContextFnOptions): TrpcContext => ({
    http,
    deps: http.deps,
    resHeaders,
  });
}
