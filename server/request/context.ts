import type { AppDeps } from "../deps.ts";
import { type CookieOptions, parseCookies, serializeCookie } from "./cookies.ts";
import { isValidCsrfCookie, maskCsrfToken, newCsrfToken } from "./csrf.ts";
import { acceptsJson, isJsonRequest } from "./negotiate.ts";

/** What every view of one request shares: the cookies to set and the CSRF cookie token. */
interface SharedState {
  setCookies: string[];
  csrf: string | undefined;
  csrfIssued: boolean;
}

/**
 * One request, independent of the transport that carried it: its URL, cookies, cookies to set and
 * the CSRF cookie token. The REST routes, the tRPC procedures and the pages all hand one of these to
 * the flow services; `at()` gives another URL's view of the same request (tRPC calls are made "as"
 * the REST endpoint that does the same thing) without copying what must be shared.
 */
export class RequestContext {
  readonly cookies: Map<string, string>;
  readonly #state: SharedState;
  readonly #rewrite: ((url: URL) => URL) | undefined;
  #url: URL | undefined;

  constructor(
    readonly req: Request,
    readonly deps: AppDeps,
    /** Lets a listener route on a rewritten path (the admin listener's optional /admin prefix). */
    rewrite?: (url: URL) => URL,
    shared?: { cookies: Map<string, string>; state: SharedState },
  ) {
    this.#rewrite = rewrite;
    if (shared) {
      this.cookies = shared.cookies;
      this.#state = shared.state;
      return;
    }
    this.cookies = parseCookies(req.headers.get("cookie"));
    const existing = this.cookies.get(deps.csrfCookieName);
    this.#state = {
      setCookies: [],
      csrf: isValidCsrfCookie(existing) ? existing : undefined,
      csrfIssued: false,
    };
  }

  /** The request's URL (as rewritten, if the listener rewrites), parsed when first asked for. */
  get url(): URL {
    if (this.#url) return this.#url;
    const url = new URL(this.req.url);
    this.#url = this.#rewrite ? this.#rewrite(url) : url;
    return this.#url;
  }

  /** The path routed on: `url.pathname`, without parsing the URL when nothing rewrites it. */
  get pathname(): string {
    if (this.#url || this.#rewrite) return this.url.pathname;
    return pathOf(this.req.url);
  }

  /** The same request seen at another path and query (cookies and cookies to set are shared). */
  at(path: string, query: Record<string, string | undefined> = {}): RequestContext {
    const url = new URL(path, this.url);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return new RequestContext(this.req, this.deps, () => url, { cookies: this.cookies, state: this.#state });
  }

  /** Set-Cookie values to send with the response, in the order they were set. */
  get setCookies(): string[] {
    return this.#state.setCookies;
  }

  get isJson(): boolean {
    return isJsonRequest(this.req);
  }

  get acceptsJson(): boolean {
    return acceptsJson(this.req);
  }

  /** The CSRF cookie token sent by the client, if valid. Never issues one. */
  get csrfCookieToken(): string | undefined {
    return this.#state.csrf;
  }

  /** Returns the CSRF cookie token, issuing a cookie (once per request) when the client had none. */
  ensureCsrf(): string {
    if (!this.#state.csrf) this.#issueCsrf();
    return this.#state.csrf!;
  }

  /** A fresh masked token for a form, derived from the (possibly new) cookie token. */
  maskedCsrf(): string {
    return maskCsrfToken(this.ensureCsrf());
  }

  /** New CSRF cookie: after sign-in as a different identity and on logout (contract §9.1). */
  rotateCsrf(): void {
    this.#state.csrfIssued = false;
    this.#issueCsrf();
  }

  #issueCsrf(): void {
    if (this.#state.csrfIssued) return;
    this.#state.csrfIssued = true;
    this.#state.csrf = newCsrfToken();
    const { config } = this.deps;
    this.setCookie(this.deps.csrfCookieName, this.#state.csrf, {
      path: config.raw.cookies.path,
      domain: config.raw.cookies.domain,
      maxAge: 31_536_000,
      httpOnly: true,
      secure: config.secureCookies,
      sameSite: config.secureCookies ? config.raw.cookies.same_site : "Lax",
    });
  }

  setCookie(name: string, value: string, opts: CookieOptions): void {
    this.#state.setCookies.push(serializeCookie(name, value, opts));
  }

  /** The URL the client used, honouring X-Forwarded-Proto/Host like Kratos's request_url. */
  get requestUrl(): string {
    const proto = this.req.headers.get("x-forwarded-proto") ?? this.url.protocol.replace(":", "");
    const host = this.req.headers.get("x-forwarded-host") ?? this.url.host;
    return `${proto}://${host}${this.url.pathname}${this.url.search}`;
  }
}

/**
 * `new URL(href).pathname` for an href that is already a serialised URL (a Request's url always
 * is): from the first `/` after the authority up to the query or fragment.
 */
export function pathOf(href: string): string {
  const start = href.indexOf("/", href.indexOf("//") + 2);
  if (start < 0) return "/";
  let end = href.length;
  const query = href.indexOf("?", start);
  if (query >= 0) end = query;
  const fragment = href.indexOf("#", start);
  if (fragment >= 0 && fragment < end) end = fragment;
  return href.slice(start, end);
}
