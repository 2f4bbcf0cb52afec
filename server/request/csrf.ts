import { fromBase64, randomBytes, timingSafeEqual, toBase64 } from "./base64.ts";
import { errors } from "./errors.ts";

/**
 * Anti-CSRF tokens as Kratos (nosurf) makes them (contract §9.1): the cookie holds 32 random bytes;
 * forms carry a masked copy (random key ‖ token XOR key) so every render differs but all verify.
 */
const TOKEN_BYTES = 32;

export function newCsrfToken(): string {
  return toBase64(randomBytes(TOKEN_BYTES));
}

export function isValidCsrfCookie(value: string | undefined): value is string {
  return value !== undefined && fromBase64(value)?.length === TOKEN_BYTES;
}

export function maskCsrfToken(cookieToken: string): string {
  const token = fromBase64(cookieToken);
  if (!token || token.length !== TOKEN_BYTES) return "";
  const key = randomBytes(TOKEN_BYTES);
  const out = new Uint8Array(TOKEN_BYTES * 2);
  out.set(key, 0);
  for (let i = 0; i < TOKEN_BYTES; i++) out[TOKEN_BYTES + i] = token[i]! ^ key[i]!;
  return toBase64(out);
}

function unmask(value: string): Uint8Array | undefined {
  const bytes = fromBase64(value);
  if (!bytes) return undefined;
  if (bytes.length === TOKEN_BYTES) return bytes;
  if (bytes.length !== TOKEN_BYTES * 2) return undefined;
  const out = new Uint8Array(TOKEN_BYTES);
  for (let i = 0; i < TOKEN_BYTES; i++) out[i] = bytes[TOKEN_BYTES + i]! ^ bytes[i]!;
  return out;
}

export function csrfTokensMatch(sent: string, cookieToken: string): boolean {
  const a = unmask(sent);
  const b = unmask(cookieToken);
  return a !== undefined && b !== undefined && timingSafeEqual(a, b);
}

const AJAX_HINT =
  "We detected an AJAX call, please ensure that CORS is enabled and configured correctly, and that your AJAX code sends cookies and has credentials enabled. For further debugging, check your Browser's Network Tab to see what cookies are included or excluded.";
const SERVER_HINT =
  "We detected a regular browser or server-side call. To debug browser calls check your Browser's Network Tab to see what cookies are included or excluded. If you are calling from a server ensure that the appropriate cookies are being forwarded and that the SDK method is called correctly.";

export interface CsrfCheckInput {
  req: Request;
  cookieToken: string | undefined;
  sentToken: string | undefined;
  /** Whether the request has a body format that could have carried the token (non-JSON). */
}

/** Verifies a submitted token against the cookie; throws `security_csrf_violation` with Kratos's details. */
export function assertCsrf({ req, cookieToken, sentToken }: CsrfCheckInput): void {
  if (cookieToken && sentToken && csrfTokensMatch(sentToken, cookieToken)) return;
  const mode = req.headers.get("sec-fetch-mode");
  const ajax = mode === "cors" || mode === "same-origin";
  const hint = ajax ? AJAX_HINT : SERVER_HINT;
  const details: Record<string, unknown> = { docs: "https://www.ory.com/docs/troubleshooting/csrf" };
  if (!req.headers.get("cookie")) {
    Object.assign(details, { hint, reject_reason: "The HTTP Cookie Header is empty or not set." });
  } else if (!cookieToken) {
    Object.assign(details, {
      hint,
      reject_reason: "The HTTP Cookie Header was set but did not include the anti-CSRF cookie.",
    });
  } else if (!sentToken) {
    details.hint =
      "The anti-CSRF cookie was found but the CSRF token was not included in the HTTP request body (csrf_token) nor in the HTTP Header (X-CSRF-Token).";
  } else {
    Object.assign(details, {
      hint,
      reject_reason:
        "The HTTP Cookie Header was set and a CSRF token was sent but they do not match. We recommend deleting all cookies for this domain and retrying the flow.",
    });
  }
  throw errors.csrfViolation(details);
}

const API_FLOW_ORIGIN_REASON =
  'The HTTP Request Header included the "Origin" key, indicating that this request was made as part of an AJAX request in a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.';
const API_FLOW_COOKIE_REASON =
  'The HTTP Request Header included the "Cookie" key, indicating that this request was made by a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.';

/**
 * What stands in for CSRF on api flows (contract §9.3): a request with an `Origin` header or with
 * any cookie but Cloudflare's (`__cf`, `_cf`, `cf_`) comes from a browser and is refused with a
 * 400, which flows render as message 4000001. A `csrf_token` in the body is ignored.
 */
export function assertNotBrowser(req: Request, cookieNames: Iterable<string>): void {
  if (req.headers.get("origin")) throw errors.badRequest(API_FLOW_ORIGIN_REASON);
  const found = [...cookieNames].filter((name) => !/^(__cf|_cf|cf_)/.test(name));
  if (found.length > 0) {
    throw errors.badRequest(API_FLOW_COOKIE_REASON, { details: { "found cookies": found } });
  }
}
