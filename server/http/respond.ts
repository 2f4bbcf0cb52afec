import { markCarriesRequestId, requestIdOf } from "../observe/request-id.ts";
import type { RequestContext } from "../request/context.ts";
import { errors, HttpError } from "../request/errors.ts";
import { appendQuery } from "../request/url.ts";

const NO_CACHE = "private, no-cache, no-store, must-revalidate";

function baseHeaders(ctx: RequestContext, contentType?: string): Headers {
  const h = new Headers();
  if (contentType) h.set("content-type", contentType);
  if (ctx.req.method === "GET" || ctx.req.method === "HEAD") h.set("cache-control", NO_CACHE);
  h.set("vary", "Cookie");
  for (const c of ctx.setCookies) h.append("set-cookie", c);
  return h;
}

export function json(
  ctx: RequestContext,
  status: number,
  body: unknown,
  extra?: Record<string, string>,
): Response {
  return jsonText(ctx, status, JSON.stringify(body), extra);
}

/** `json` for a body already serialised. */
export function jsonText(
  ctx: RequestContext,
  status: number,
  text: string,
  extra?: Record<string, string>,
): Response {
  if (ctx.setCookies.length === 0) {
    // The common case (whoami, api flows) as plain headers: the listener writes those straight to
    // the socket, where a Headers object is built, then copied into Node's form. Same headers.
    const plain: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
    if (ctx.req.method === "GET" || ctx.req.method === "HEAD") plain["cache-control"] = NO_CACHE;
    plain.vary = "Cookie";
    if (extra) for (const k in extra) plain[k.toLowerCase()] = extra[k]!;
    const id = requestIdOf(ctx.req);
    if (id === undefined) return new Response(text, { status, headers: plain });
    plain["x-request-id"] = id;
    return markCarriesRequestId(new Response(text, { status, headers: plain }));
  }
  const h = baseHeaders(ctx, "application/json; charset=utf-8");
  if (extra) for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return new Response(text, { status, headers: h });
}

export function empty(ctx: RequestContext, status = 204, extra?: Record<string, string>): Response {
  const h = baseHeaders(ctx);
  if (extra) for (const [k, v] of Object.entries(extra)) h.set(k, v);
  return new Response(null, { status, headers: h });
}

/** Go's net/http htmlReplacer, which http.Redirect applies to the URL in its body. */
const GO_HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&#34;",
  "'": "&#39;",
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => GO_HTML_ESCAPES[c]!);
}

/** A redirect with Go's tiny HTML body, as Kratos sends it. */
export function redirect(ctx: RequestContext, location: string, status = 303): Response {
  const h = baseHeaders(ctx, "text/html; charset=utf-8");
  h.set("location", location);
  const text = status === 302 ? "Found" : status === 307 ? "Temporary Redirect" : "See Other";
  return new Response(`<a href="${escapeHtml(location)}">${text}</a>.\n`, { status, headers: h });
}

export function html(ctx: RequestContext, status: number, body: string): Response {
  return new Response(body, { status, headers: baseHeaders(ctx, "text/html; charset=utf-8") });
}

export function errorJson(ctx: RequestContext, err: HttpError): Response {
  const h = baseHeaders(ctx, "application/json");
  if (err.id) h.set("ory-error-id", err.id);
  const envelope = err.toEnvelope();
  const requestId = ctx.req.headers.get("x-request-id");
  if (requestId) (envelope.error as Record<string, unknown>).request = requestId;
  return new Response(JSON.stringify(envelope), { status: err.code, headers: h });
}

/** Stores the error for the browser error container and sends the browser there (contract §1.3). */
export async function errorRedirect(ctx: RequestContext, err: HttpError): Promise<Response> {
  const { store, clock, config } = ctx.deps;
  const now = clock.now();
  const id = crypto.randomUUID();
  await store.saveError({ id, error: err.toGeneric(), seenAt: null, createdAt: now, updatedAt: now });
  return redirect(ctx, appendQuery(config.ui.error, { id }));
}

/** Delivers an error: JSON for JSON callers, otherwise via the error container. */
export async function deliverError(ctx: RequestContext, err: unknown, asJson: boolean): Promise<Response> {
  const httpErr = toHttpError(ctx, err);
  return asJson ? errorJson(ctx, httpErr) : errorRedirect(ctx, httpErr);
}

export function toHttpError(ctx: RequestContext, err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  ctx.deps.logger.error("unhandled error", {
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    path: ctx.url.pathname,
  });
  return errors.internal();
}
