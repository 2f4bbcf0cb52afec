import type { AppDeps } from "../deps.ts";
import { type CookieOptions, parseCookies, serializeCookie } from "./cookies.ts";
import { isValidCsrfCookie, maskCsrfToken, newCsrfToken } from "./csrf.ts";
import { acceptsJson, isJsonRequest } from "./negotiate.ts";

/** Per-request state: parsed URL and cookies, cookies to set, and the CSRF cookie token. */
export class RequestContext {
  readonly url: URL;
  readonly cookies: Map<string, string>;
  readonly setCookies: string[] = [];
  #csrf: string | undefined;
  #csrfIssued = false;

  constructor(
    readonly req: Request,
    readonly deps: AppDeps,
    /** Lets a listener route on a rewritten path (the admin listener's optional /admin prefix). */
    rewrite?: (url: URL) => URL,
  ) {
    const url = new URL(req.url);
    this.url = rewrite ? rewrite(url) : url;
    this.cookies = parseCookies(req.headers.get("cookie"));
    const existing = this.cookies.get(deps.csrfCookieName);
    this.#csrf = isValidCsrfCookie(existing) ? existing : undefined;
  }

  get isJson(): boolean {
    return isJsonRequest(this.req);
  }

  get acceptsJson(): boolean {
    return acceptsJson(this.req);
  }

  /** The CSRF cookie token sent by the client, if valid. Never issues one. */
  get csrfCookieToken(): string | undefined {
    return this.#csrf;
  }

  /** Returns the CSRF cookie token, issuing a cookie (once per request) when the client had none. */
  ensureCsrf(): string {
    if (!this.#csrf) this.#issueCsrf();
    return this.#csrf!;
  }

  /** A fresh masked token for a form, derived from the (possibly new) cookie token. */
  maskedCsrf(): string {
    return maskCsrfToken(this.ensureCsrf());
  }

  /** New CSRF cookie: after sign-in as a different identity and on logout (contract §9.1). */
  rotateCsrf(): void {
    this.#csrfIssued = false;
    this.#issueCsrf();
  }

  #issueCsrf(): void {
    if (this.#csrfIssued) return;
    this.#csrfIssued = true;
    this.#csrf = newCsrfToken();
    const { config } = this.deps;
    this.setCookie(this.deps.csrfCookieName, this.#csrf, {
      path: config.raw.cookies.path,
      domain: config.raw.cookies.domain,
      maxAge: 31_536_000,
      httpOnly: true,
      secure: config.secureCookies,
      sameSite: config.secureCookies ? config.raw.cookies.same_site : "Lax",
    });
  }

  setCookie(name: string, value: string, opts: CookieOptions): void {
    this.setCookies.push(serializeCookie(name, value, opts));
  }

  /** The URL the client used, honouring X-Forwarded-Proto/Host like Kratos's request_url. */
  get requestUrl(): string {
    const proto = this.req.headers.get("x-forwarded-proto") ?? this.url.protocol.replace(":", "");
    const host = this.req.headers.get("x-forwarded-host") ?? this.url.host;
    return `${proto}://${host}${this.url.pathname}${this.url.search}`;
  }
}
