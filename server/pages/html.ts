import escapeText from "escape-html";
import { html as htmlResponse } from "../http/respond.ts";
import type { RequestContext } from "../request/context.ts";

/**
 * Markup that is safe to put in a page as is: made by the `html` tagged template (which escapes
 * every interpolated value) or, for markup from a trusted source, explicitly by `raw`.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Marks trusted markup as safe. Only for text this server wrote itself; never for input. */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

/** Anything `html` accepts between `${}`: text is escaped, SafeHtml kept, lists joined, nothing dropped. */
export type Interpolation =
  | SafeHtml
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly Interpolation[];

function interpolate(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: Interpolation) => interpolate(v)).join("");
  if (value === null || value === undefined || value === false || value === true) return "";
  return escapeHtml(value);
}

/**
 * The pages' template: every `${value}` is escaped unless it is SafeHtml, so no trait, address or
 * message can become markup. `false`/`null`/`undefined` render nothing (for `${cond && html`…`}`).
 * Attribute values must be quoted in the template (`href="${url}"`); escaping covers both quotes.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += interpolate(values[i]!) + (strings[i + 1] ?? "");
  return new SafeHtml(out);
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return escapeText(String(value ?? ""));
}

/** ` name="value"` with the value escaped; nothing for undefined/false; a bare name for true. */
export function attr(name: string, value: string | number | boolean | undefined | null): SafeHtml {
  if (value === undefined || value === null || value === false) return raw("");
  if (value === true) return raw(` ${escapeHtml(name)}`);
  return raw(` ${escapeHtml(name)}="${escapeHtml(value)}"`);
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
  body: SafeHtml;
  /** The navigation under the card. */
  nav?: SafeHtml;
  /** The account centre's section navigation beside the card (a wider layout). */
  sections?: SafeHtml;
}

const NO_CACHE = "private, no-cache, no-store, must-revalidate";

/**
 * Only same-origin scripts, styles and connections: the pages have no inline script or style (the
 * live-validation script and the branding colours are files under /ui/), so injected markup could
 * not run even if some escaping were ever missed. Images may come from https (a branding logo, a
 * provider's QR code as a data: URL). No `form-action`: a sign-in with a provider posts to us and
 * is redirected to the provider, which Chromium would block.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Renders a whole document around a page body. */
export function layout(ctx: RequestContext, page: Page): string {
  const heading = page.heading ?? page.title;
  const brand = ctx.deps.config.raw.ui.branding;
  const logo = brand.logo_url ? safeUrl(brand.logo_url) : undefined;
  const wide = page.sections !== undefined;
  const card = html`<main id="main" class="card${wide ? " card--wide" : ""}">
<h1>${heading}</h1>
${page.body}</main>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="color-scheme" content="light dark">
<title>${page.title} · ${brand.name}</title>
<link rel="stylesheet" href="${publicPath(ctx, "/ui/style.css")}">
<script src="${publicPath(ctx, "/ui/enhance.js")}" defer></script>
</head>
<body${wide ? raw(' class="account-layout"') : ""}>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header"><a class="brand" href="${publicPath(ctx, "/ui/welcome")}">${logo ? html`<img class="brand-logo" src="${logo}" alt="" height="32">` : ""}<span>${brand.name}</span></a></header>
${
  wide
    ? html`<nav class="sections" aria-label="Account sections">${page.sections}</nav>
`
    : ""
}${card}
${
  page.nav
    ? html`<nav class="page-nav" aria-label="Account">${page.nav}</nav>
`
    : ""
}</body>
</html>
`.value;
}

/** An HTML page response: never cached, never framed, no foreign script. */
export function pageResponse(ctx: RequestContext, status: number, page: Page): Response {
  const res = htmlResponse(ctx, status, layout(ctx, page));
  res.headers.set("cache-control", NO_CACHE);
  res.headers.set("x-frame-options", "DENY");
  res.headers.set("content-security-policy", CSP);
  res.headers.set("x-content-type-options", "nosniff");
  return res;
}

/** A link rendered as a nav item. */
export function link(href: string, text: string, className?: string): SafeHtml {
  return html`<a href="${href}"${attr("class", className)}>${text}</a>`;
}
