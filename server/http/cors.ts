import type { Config } from "../config/schema.ts";

type CorsConfig = NonNullable<Config["serve"]["public"]["cors"]>;

/** Origins may be exact or carry one `*` wildcard for a subdomain (`https://*.example.com`), as in Kratos. */
function originMatcher(allowed: readonly string[]): (origin: string) => boolean {
  if (allowed.length === 0 || allowed.includes("*")) return () => true;
  const exact = new Set(allowed.filter((o) => !o.includes("*")));
  const patterns = allowed
    .filter((o) => o.includes("*"))
    .map((o) => {
      const [prefix, suffix] = o.split("*", 2) as [string, string];
      return (origin: string) =>
        origin.length > prefix.length + suffix.length && origin.startsWith(prefix) && origin.endsWith(suffix);
    });
  return (origin) => exact.has(origin) || patterns.some((p) => p(origin));
}

/**
 * CORS for the public listener (`serve.public.cors`), so a single-page app on another origin can
 * call the browser flows with credentials. Disabled unless configured, like Kratos.
 */
export function withCors(
  cors: CorsConfig | undefined,
  handler: (req: Request) => Promise<Response>,
): (req: Request) => Promise<Response> {
  if (!cors?.enabled) return handler;
  const allows = originMatcher(cors.allowed_origins);
  const allowMethods = cors.allowed_methods.join(", ");
  const allowHeaders = cors.allowed_headers.join(", ");
  const expose = cors.exposed_headers.join(", ");
  return async (req) => {
    const origin = req.headers.get("origin");
    if (!origin || !allows(origin)) return handler(req);
    const preflight = req.method === "OPTIONS" && req.headers.has("access-control-request-method");
    const res = preflight ? new Response(null, { status: 204 }) : await handler(req);
    const headers = new Headers(res.headers);
    headers.set("access-control-allow-origin", origin);
    headers.append("vary", "Origin");
    if (cors.allow_credentials) headers.set("access-control-allow-credentials", "true");
    if (preflight) {
      headers.set("access-control-allow-methods", allowMethods);
      headers.set("access-control-allow-headers", allowHeaders);
      if (cors.max_age > 0) headers.set("access-control-max-age", String(cors.max_age));
    } else if (expose) {
      headers.set("access-control-expose-headers", expose);
    }
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}
