/**
 * The request id: the caller's `X-Request-Id` when it is a plausible id (so a proxy's id ties its
 * log to ours), otherwise a new UUID. Kept on the Request (as server/request/body.ts keeps its
 * marks) so audit lines written deep in a flow carry the same id as the request line.
 */

import { randomUUID } from "node:crypto";

const REQUEST_ID = Symbol("tessera.requestId");
const ROUTE = Symbol("tessera.route");

/** Letters, digits and `._:-`, at most 128: anything else is not echoed into logs and headers. */
const PLAUSIBLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Marked = { [REQUEST_ID]?: string; [ROUTE]?: string };

export function assignRequestId(req: Request): string {
  const given = req.headers.get("x-request-id");
  const id = given && PLAUSIBLE_ID.test(given) ? given : randomUUID();
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
 * Responses that already carry the request's id (respond.ts's plain-header JSON answers): the
 * request wrapper leaves them as they are. Setting it afterwards would turn their plain headers
 * into a Headers object that the listener then converts back, on every whoami.
 */
const CARRIES_ID = Symbol("tessera.carriesRequestId");

export function markCarriesRequestId(res: Response): Response {
  (res as unknown as { [CARRIES_ID]?: true })[CARRIES_ID] = true;
  return res;
}

export function carriesRequestId(res: Response): boolean {
  return (res as unknown as { [CARRIES_ID]?: true })[CARRIES_ID] === true;
}
