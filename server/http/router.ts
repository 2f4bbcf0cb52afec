import type { RequestContext } from "../request/context.ts";
import { errors } from "../request/errors.ts";
import { errorJson } from "./respond.ts";

export type Params = Record<string, string>;
export type Handler = (ctx: RequestContext, params: Params) => Promise<Response> | Response;

export interface Route {
  methods: readonly string[];
  path: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  segments: string[];
}

export const route = (methods: string | readonly string[], path: string, handler: Handler): Route => ({
  methods: typeof methods === "string" ? [methods] : methods,
  path,
  handler,
});

/** Every method, for routes like whoami that answer any of them. */
export const ANY = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/**
 * A router as a table: static segments and `:param` segments. A known path with an unknown method
 * is a 405 with an Allow header; an unknown path is a 404.
 */
export function createRouter(routes: readonly Route[]) {
  const compiled: CompiledRoute[] = routes.map((r) => ({
    ...r,
    segments: r.path.split("/").filter(Boolean),
  }));
  // A route only matches paths with as many segments as its own: each request scans only those
  // (in table order, so the first match and the 405's Allow list stay what a full scan gives).
  const bySegments = new Map<number, CompiledRoute[]>();
  for (const r of compiled) {
    const list = bySegments.get(r.segments.length);
    if (list) list.push(r);
    else bySegments.set(r.segments.length, [r]);
  }
  return (ctx: RequestContext): { handler: Handler; params: Params; pattern?: string } => {
    const parts = ctx.pathname.split("/").filter(Boolean);
    const allowed = new Set<string>();
    let allowedPattern: string | undefined;
    for (const r of bySegments.get(parts.length) ?? []) {
      const params = match(r.segments, parts);
      if (!params) continue;
      allowedPattern ??= r.path;
      const method = ctx.req.method === "HEAD" && !r.methods.includes("HEAD") ? "GET" : ctx.req.method;
      if (r.methods.includes(method)) return { handler: r.handler, params, pattern: r.path };
      for (const m of r.methods) allowed.add(m);
    }
    if (allowed.size > 0) {
      const allow = [...allowed].join(", ");
      return {
        handler: () => {
          // RFC 9110 §15.5.6: a 405 lists the methods the resource does support.
          const res = errorJson(
            ctx,
            errors.methodNotAllowed(`The ${ctx.req.method} method is not allowed here; use ${allow}.`),
          );
          res.headers.set("allow", allow);
          return res;
        },
        params: {},
        pattern: allowedPattern,
      };
    }
    return {
      handler: () => {
        throw errors.routeNotFound();
      },
      params: {},
    };
  };
}

function match(segments: string[], parts: string[]): Params | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const p = parts[i]!;
    if (s.startsWith(":")) {
      try {
        params[s.slice(1)] = decodeURIComponent(p);
      } catch {
        return undefined;
      }
    } else if (s !== p) return undefined;
  }
  return params;
}
