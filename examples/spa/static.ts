/**
 * Serves the built single-page app (a fetch handler for `server/listen.ts`). Only the files the build
 * wrote are served, read once; `index.html` gets Tessera's public URL filled in, so one build works
 * against any Tessera. Every other path answers 404.
 */
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export interface SpaStaticOptions {
  /** The build's output directory (see build.ts). */
  dir: string;
  /** Tessera's public base URL, which the app calls (`<url>/trpc`). */
  tesseraPublicUrl: string;
}

export function spaHandler(options: SpaStaticOptions): (req: Request) => Promise<Response> {
  const tessera = new URL(options.tesseraPublicUrl);
  // Every file the build writes is text (html, js, css, source map).
  const files = new Map<string, { body: string; type: string }>();
  for (const name of readdirSync(options.dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const raw = readFileSync(join(options.dir, name), "utf8");
    const body =
      name === "index.html" ? raw.replace("%TESSERA_PUBLIC_URL%", escapeAttr(tessera.toString())) : raw;
    files.set(`/${name}`, { body, type });
  }
  const index = files.get("/index.html");
  if (!index)
    throw new Error(`${options.dir} has no index.html: build the app first (npm run example:build)`);
  files.set("/", index);

  // The app talks to Tessera only; no inline script or style is needed.
  const csp = [
    "default-src 'self'",
    `connect-src 'self' ${tessera.origin}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");

  return async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const file = files.get(new URL(req.url).pathname);
    if (!file) return new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
    return new Response(req.method === "HEAD" ? null : file.body, {
      headers: {
        "content-type": file.type,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "content-security-policy": csp,
        "referrer-policy": "same-origin",
      },
    });
  };
}
