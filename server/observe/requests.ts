import { type Logger, logs, REQUEST_LINE_MESSAGE, type RequestLineFields } from "../logger.ts";
import type { Metrics } from "./metrics.ts";
import { loggablePath, type Redaction } from "./redact.ts";
import { assignRequestId, carriesRequestId, routeOf } from "./request-id.ts";

export interface RequestObservation {
  logger: Logger;
  metrics: Metrics;
  redaction: Redaction;
}

/**
 * Wraps a listener's handler: gives each request its id (echoed in `X-Request-Id`), counts and times
 * it by route pattern and status, and writes one `completed handling request` line at info level
 * with method, path (query values redacted), status, duration and id. With the level above info
 * the line is never built.
 */
export function observeRequests(
  listener: "public" | "admin",
  { logger, metrics, redaction }: RequestObservation,
  handler: (req: Request) => Promise<Response>,
): (req: Request) => Promise<Response> {
  const writeLines = logs(logger, "info");
  return async (req) => {
    const start = performance.now();
    const id = assignRequestId(req);
    const res = await handler(req);
    const ms = performance.now() - start;
    const route = routeOf(req) ?? "unmatched";
    metrics.request(listener, req.method, route, res.status, ms / 1000);
    if (writeLines) {
      const fields: RequestLineFields = {
        request_id: id,
        listener,
        method: req.method,
        path: loggablePath(req.url, redaction),
        route,
        status: res.status,
        duration_ms: Math.round(ms * 100) / 100,
      };
      if (logger.request) logger.request(fields);
      else logger.info(REQUEST_LINE_MESSAGE, { ...fields });
    }
    return withRequestId(res, id);
  };
}

/** Some responses (Response.redirect, fetched ones) have immutable headers: copy those. */
function withRequestId(res: Response, id: string): Response {
  if (carriesRequestId(res)) return res;
  try {
    res.headers.set("x-request-id", id);
    return res;
  } catch {
    const copy = new Response(res.body, res);
    copy.headers.set("x-request-id", id);
    return copy;
  }
}
