/**
 * The request id: the caller's `X-Request-Id` when it is a plausible id (so a proxy's id ties its
 * log to ours), otherwise a new UUID. Kept on the Request (as server/request/body.ts keeps its
 * marks) so audit lines written deep in a flow carry the same id as the request line.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const REQUEST_ID = Symbol("tessera.requestId");
const ROUTE = Symbol("tessera.route");

/** Letters, digits and `._:-`, at most 128: anything else is not echoed into logs and headers. */
const PLAUSIBLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Marked = { [REQUEST_ID]?: string; [ROUTE]?: string };

export function assignRequestId(req: Request): string {
  const given = req.headers.get("x-request-id");
  const id = given && PLAUSIBLE_ID.test(given) ? given : crypto.randomUUID();
  (req as unknown as Marked)[REQUEST_ID] = id;
  return id;
}

export function requestIdOf(req: Request): string | undefined {
  return (req as unknown as Marked)[REQUEST_ID];
}

/** The router notes the route pattern it matched (metrics are labelled by pattern, not raw path). */
export function noteRoute(req: Request, pattern: string): void {
  (req as unknown as Marked)[ROUTE] = pattern;
}

export function routeOf(req: Request): string | undefined {
  return (req as unknown as Marked)[ROUTE];
}

/**
 * The request being handled, for code that is not handed it: admin operations and the native
 * logout take only the app's dependencies, yet their audit lines must carry the request id too.
 */
const handling = new AsyncLocalStorage<Request>();

export function whileHandling<T>(req: Request, run: () => T): T {
  return handling.run(req, run);
}

export function requestBeingHandled(): Request | undefined {
  return handling.getStore();
}
