import type { FetchCreateContextFnOptions } from "@trpc/server/adapters/fetch";
import type { AppDeps } from "../deps.ts";
import { RequestContext } from "../request/context.ts";

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

/**
 * A view of the request's context whose URL is the REST endpoint that does the same thing, so a flow
 * created through tRPC carries the same `request_url` as one created through REST (and login's
 * `return_to` fallback reads the same query). Everything else — cookies, cookies to set, the CSRF
 * cookie issued at most once per request — is the shared per-request state of `http`.
 */
export function asRestCall(
  http: RequestContext,
  path: string,
  query: Record<string, string | undefined> = {},
): RequestContext {
  const url = new URL(path, http.url);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  // Same forwarded-header handling as REST: let a throwaway context compute the request URL.
  const requestUrl = new RequestContext(http.req, http.deps, () => url).requestUrl;
  return new Proxy(http, {
    get(target, prop) {
      if (prop === "url") return url;
      if (prop === "requestUrl") return requestUrl;
      const value = Reflect.get(target, prop, target);
      // Methods touch private fields (#csrf), so they must run on the real instance.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
