import { html } from "../http/respond.ts";
import type { RequestContext } from "../request/context.ts";

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** ` name="value"` with the value escaped; nothing for undefined/false; a bare name for true. */
export function attr(name: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null || value === false) return "";
  if (value === true) return ` ${name}`;
  return ` ${name}="${escapeHtml(value)}"`;
}

/** Only http(s), mailto and relative URLs become links; anything else (javascript:, data:) is dropped. */
export function safeUrl(value: string, options: { allowDataImage?: boolean } = {}): string | undefined {
  const trimmed = value.trim();
  if (options.allowDataImage && /^data:image\/(png|jpeg|gif|webp);base64,[a-z0-9+/=]+$/i.test(trimmed)) {
    return trimmed;
  }
  if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return trimmed.startsWith("//") ? undefined : trimmed;
  return /^(https?|mailto):/i.test(trimmed) ? trimmed : undefined;
}

/** A URL path under the public base URL (which may itself have a path prefix). */
export function publicPath(ctx: RequestContext, path: string): string {
  return new URL(path.replace(/^\//, ""), ctx.deps.config.publicBase).pathname;
}

/** An absolute URL under the public base URL with optional query parameters (empty ones left out). */
export function publicUrl(
  ctx: RequestContext,
  path: string,
  query: Record<string, string | null | undefined> = {},
): string {
  const u = new URL(path.replace(/^\//, ""), ctx.deps.config.publicBase);
  for (const [k, v] of Object.entries(query)) if (v) u.searchParams.set(k, v);
  return u.toString();
}

export interface Page {
  /** The document title and, unless `heading` says otherwise, the page's single h1. */
  title: string;
  heading?: string;
  /** Trusted HTML: every interpolated value in it must already be escaped. */
  body: string;
  /** Trusted HTML for the navigation under the card. */
  nav?: string;
}

const NO_CACHE = "private, no-cache, no-store, must-revalidate";

/** Renders a whole document around a page body. */
export function layout(ctx: RequestContext, page: Page): string {
  const heading = page.heading ?? page.title;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(page.title)} · Tessera</title>
<link rel="stylesheet" href="${escapeHtml(publicPath(ctx, "/ui/style.css"))}">
</head>
<body>
<header class="site-header"><a class="brand" href="${escapeHtml(publicPath(ctx, "/ui/welcome"))}">Tessera</a></header>
<main id="main" class="card">
<h1>${escapeHtml(heading)}</h1>
${page.body}
</main>
${page.nav ? `<nav class="page-nav" aria-label="Account">${page.nav}</nav>\n` : ""}</body>
</html>
`;
}

/** An HTML page response: never cached, never framed. */
export function pageResponse(ctx: RequestContext, status: number, page: Page): Response {
  const res = html(ctx, status, layout(ctx, page));
  res.headers.set("cache-control", NO_CACHE);
  res.headers.set("x-frame-options", "DENY");
  res.headers.set("content-security-policy", "frame-ancestors 'none'");
  res.headers.set("x-content-type-options", "nosniff");
  return res;
}

/** A link rendered as a nav item. */
export function link(href: string, text: string, className?: string): string {
  return `<a href="${escapeHtml(href)}"${attr("class", className)}>${escapeHtml(text)}</a>`;
}
