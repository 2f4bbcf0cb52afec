import type { UiText } from "#shared/ui.ts";
import type { HookConfig } from "../config/schema.ts";
import { jsonTextBoundsError } from "../decoding/json-bounds.ts";
import { errors, HttpError } from "../request/errors.ts";
import {
  type AddressPolicy,
  assertPermittedTarget,
  guardedDispatcher,
  isProhibited,
  type Lookup,
} from "./outbound-guard.ts";
import { type BodyTemplateEvaluator, evaluateBodyTemplate } from "./web-hook-template.ts";

/**
 * The `web_hook` hook executor (contract §11.6): builds the request Kratos would send, calls the target
 * and interprets its answer. It does not touch flows or identities itself; the caller applies the result
 * (render `messages` into the flow, merge an identity `patch`, …).
 */

export type WebHookConfig = Extract<HookConfig, { hook: "web_hook" }>["config"];

/** The incoming request that triggered the hook. */
export interface WebHookRequestInfo {
  headers: Headers;
  method: string;
  url: string;
  cookies: Record<string, string>;
}

export interface WebHookContext {
  /** The flow, as its public JSON. */
  flow: unknown;
  /** The identity, as its JSON (the proposed identity for pre-persist hooks). */
  identity?: unknown;
  session?: unknown;
  request: WebHookRequestInfo;
}

/** A message the hook target asked to show; `path` is the node name ("traits.email"), "" for global. */
export interface WebHookIssue {
  path: string;
  message: UiText;
}

/** The identity fields a `response.parse` hook may overwrite before the identity is saved. */
export interface WebHookIdentityPatch {
  traits?: unknown;
  schema_id?: string;
  state?: string;
  verifiable_addresses?: Record<string, unknown>[];
  recovery_addresses?: Record<string, unknown>[];
  metadata_public?: unknown;
  metadata_admin?: unknown;
  /** `null` clears the external id. */
  external_id?: string | null;
}

export type WebHookResult =
  /** `response.ignore`: the call was dispatched and is not waited for. */
  | { kind: "ignored" }
  /** Success without changes (2xx, 204, no `identity` in the answer, or the template cancelled the call). */
  | { kind: "ok" }
  /**
   * The target rejected the submission with messages (status >= 400, parsing enabled). The submission
   * fails like a validation error even when `issues` is empty (entries without messages, as Kratos).
   */
  | { kind: "messages"; issues: WebHookIssue[] }
  /** `response.parse` and a 200 with `{"identity": {...}}`: merge `patch` into the identity. */
  | { kind: "identity"; patch: WebHookIdentityPatch };

export interface WebHookDeps {
  fetch: typeof fetch;
  /** Whole-call timeout (connect, answer and reading the body). Default 10 s. */
  timeoutMs?: number;
  /** `clients.web_hook.header_allowlist`; default {@link DEFAULT_WEBHOOK_HEADER_ALLOWLIST}. */
  headerAllowlist?: readonly string[];
  /** Renders the body; default {@link evaluateBodyTemplate} (no jsonnet: default body only). */
  evaluateTemplate?: BodyTemplateEvaluator;
  /** `clients.http.disallow_private_ip_ranges` and its exception URLs; no guard when absent. */
  addressPolicy?: AddressPolicy;
  /** DNS for the guard; default the system resolver. */
  lookup?: Lookup;
  /** Retries after the first attempt for a hook that cannot interrupt; default 2 when ignored, else 0. */
  maxRetries?: number;
  /** Waits between attempts; injectable so tests never sleep. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** One guarded dispatcher per resolver, so connections are pooled across calls as fetch's own are. */
let systemDispatcher: Promise<object> | undefined;
const dispatchers = new WeakMap<Lookup, Promise<object>>();
function dispatcherFor(lookup: Lookup | undefined): Promise<object> {
  if (!lookup) {
    systemDispatcher ??= guardedDispatcher();
    return systemDispatcher;
  }
  let dispatcher = dispatchers.get(lookup);
  if (!dispatcher) {
    dispatcher = guardedDispatcher(lookup);
    dispatchers.set(lookup, dispatcher);
  }
  return dispatcher;
}

/** Kratos's HTTP client (retryablehttp's default back-off): 1 s, then 2 s, at most 30 s. */
export const WEBHOOK_MAX_RETRIES = 2;
export function webHookBackoffMs(retry: number): number {
  return Math.min(1000 * 2 ** retry, 30_000);
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Statuses retryablehttp tries again: the target is overloaded or broken, maybe briefly. */
function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

/** Request headers forwarded in `ctx.request_headers` unless configured otherwise (Kratos's list). */
export const DEFAULT_WEBHOOK_HEADER_ALLOWLIST: readonly string[] = [
  "Accept",
  "Accept-Encoding",
  "Accept-Language",
  "Content-Length",
  "Content-Type",
  "Origin",
  "Priority",
  "Referer",
  "Sec-Ch-Ua",
  "Sec-Ch-Ua-Mobile",
  "Sec-Ch-Ua-Platform",
  "Sec-Fetch-Dest",
  "Sec-Fetch-Mode",
  "Sec-Fetch-Site",
  "Sec-Fetch-User",
  "True-Client-Ip",
  "User-Agent",
];

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** Response bodies are read up to this many bytes (Kratos: 5 MiB). */
export const WEBHOOK_MAX_RESPONSE_BYTES = 5 << 20;

const REASON_UNREACHABLE = "A third-party upstream service could not be reached. Please try again later.";
const REASON_IMPROPER = "A third-party upstream service responded improperly. Please try again later.";
const CONTENT_TYPE_JSON = "application/json";
const CONTENT_TYPE_FORM = "application/x-www-form-urlencoded";

/**
 * Kratos runs web hooks with `response.parse` or `can_interrupt` before the identity is saved and all
 * others after (§11.6 "Settings timing"). Accepts a hook entry (any kind; non-web hooks are `false`) or
 * a web hook's config.
 */
export function isPrePersist(hook: HookConfig | WebHookConfig): boolean {
  const config = "hook" in hook ? (hook.hook === "web_hook" ? hook.config : undefined) : hook;
  return config !== undefined && parsesErrors(config);
}

function parsesErrors(config: WebHookConfig): boolean {
  return config.response?.parse === true || config.can_interrupt === true;
}

/**
 * The template context `ctx` (Kratos's field order): `{flow, request_headers, request_method,
 * request_url, request_cookies, identity?, session?}`, with the request headers filtered by the allowlist
 * and keyed by the allowlist's spelling. Each header has one value (a `Headers` object joins repeats).
 */
export function buildTemplateContext(
  ctx: WebHookContext,
  headerAllowlist: readonly string[] = DEFAULT_WEBHOOK_HEADER_ALLOWLIST,
): Record<string, unknown> {
  const headers: Record<string, string[]> = {};
  for (const name of [...headerAllowlist].sort()) {
    const value = ctx.request.headers.get(name);
    if (value !== null) headers[name] = [value];
  }
  const cookies: Record<string, string> = {};
  for (const name of Object.keys(ctx.request.cookies).sort()) {
    if (name !== "") cookies[name] = ctx.request.cookies[name]!;
  }
  const out: Record<string, unknown> = {
    flow: ctx.flow,
    request_headers: headers,
    request_method: ctx.request.method,
    request_url: ctx.request.url,
    request_cookies: cookies,
  };
  if (ctx.identity !== undefined && ctx.identity !== null) out.identity = ctx.identity;
  if (ctx.session !== undefined && ctx.session !== null) out.session = ctx.session;
  return out;
}

export async function callWebHook(
  config: WebHookConfig,
  ctx: WebHookContext,
  deps: WebHookDeps,
): Promise<WebHookResult> {
  const ignore = config.response?.ignore === true;
  if (ignore && parsesErrors(config)) {
    throw misconfigured(
      "A webhook is configured to ignore the response but also to parse the response. This is not possible.",
    );
  }

  const method = config.method || "POST";
  if (method.toUpperCase() === "TRACE") {
    // Kratos sends TRACE without a body; the WHATWG fetch used here refuses the method altogether.
    throw misconfigured("A webhook is configured with the method TRACE, which Tessera cannot send.");
  }
  const headers = requestHeaders(config);

  const rendered = await (deps.evaluateTemplate ?? evaluateBodyTemplate)(
    config.body,
    buildTemplateContext(ctx, deps.headerAllowlist),
  );
  if (rendered.kind === "cancel") return ignore ? { kind: "ignored" } : { kind: "ok" };
  // fetch cannot send a body with GET or HEAD (Kratos would); those requests go without one.
  const body = /^(GET|HEAD)$/i.test(method) ? undefined : encodeBody(headers, rendered.value);

  const timeoutMs = deps.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const policy = deps.addressPolicy;
  const guarded = !!policy?.disallowPrivate && !policy.exceptionUrls.includes(config.url);
  const attempt = async (): Promise<Response> => {
    await assertPermittedTarget(config.url, policy, deps.lookup);
    return deps.fetch(config.url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      // The connection resolves the name again: it connects only to addresses the guard permits.
      ...(guarded ? { dispatcher: await dispatcherFor(deps.lookup) } : {}),
      // A redirect could lead the guard's checked host elsewhere; with the guard on, none is followed.
      redirect: deps.addressPolicy?.disallowPrivate ? "manual" : "follow",
      signal: AbortSignal.timeout(timeoutMs),
    });
  };
  // Non-blocking hooks (response.ignore, and after-persist hooks that cannot interrupt: the caller
  // passes maxRetries) are retried on network errors and 5xx, as Kratos's resilient client does;
  // a hook whose answer decides the flow answers the user now, so it gets one attempt.
  const retries = parsesErrors(config) ? 0 : (deps.maxRetries ?? (ignore ? WEBHOOK_MAX_RETRIES : 0));
  const sleep = deps.sleep ?? realSleep;
  const send = async (): Promise<Response> => {
    for (let retry = 0; ; retry++) {
      let response: Response;
      try {
        response = await attempt();
      } catch (err) {
        if (retry >= retries || isProhibited(err) || err instanceof HttpError) throw err;
        await sleep(webHookBackoffMs(retry));
        continue;
      }
      if (retry >= retries || !isRetryableStatus(response.status)) return response;
      await discard(response);
      await sleep(webHookBackoffMs(retry));
    }
  };

  if (ignore) {
    // Fire and forget: nobody waits for the answer, and its failures are swallowed (Kratos only logs them).
    void send().then(discard, () => undefined);
    return { kind: "ignored" };
  }

  let response: Response;
  try {
    response = await send();
  } catch (err) {
    throw transportError(err, timeoutMs);
  }

  try {
    return await interpret(config, response, timeoutMs);
  } finally {
    void discard(response);
  }
}

async function interpret(
  config: WebHookConfig,
  response: Response,
  timeoutMs: number,
): Promise<WebHookResult> {
  const status = response.status;
  if (status >= 400) {
    const failed = improper(`webhook failed with status code ${status}`);
    if (parsesErrors(config)) {
      let text: string;
      try {
        text = await readBody(response, timeoutMs);
      } catch (err) {
        // Too large to read: as unparseable as any other body. A timeout stays a timeout.
        throw err instanceof HttpError && err.code === 502 ? failed : err;
      }
      const issues = parseMessages(text);
      if (issues !== undefined) return { kind: "messages", issues };
    }
    throw failed;
  }
  // Kratos reads the identity only for `response.parse` (not for `can_interrupt` alone) and only on 200.
  if (status === 200 && config.response?.parse === true) {
    const patch = parseIdentityPatch(await readBody(response, timeoutMs));
    return patch === undefined ? { kind: "ok" } : { kind: "identity", patch };
  }
  return { kind: "ok" };
}

// --- request ------------------------------------------------------------------------------------------

function requestHeaders(config: WebHookConfig): Headers {
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(config.headers ?? {})) headers.append(name, value);
    if (!headers.has("Content-Type")) headers.set("Content-Type", CONTENT_TYPE_JSON);
    const auth = config.auth;
    if (auth?.type === "basic_auth") {
      const token = Buffer.from(`${auth.config.user}:${auth.config.password}`, "utf8").toString("base64");
      headers.set("Authorization", `Basic ${token}`);
    } else if (auth?.type === "api_key") {
      if (auth.config.in === "cookie") {
        const pair = `${auth.config.name.replace(/[\r\n]/g, "-")}=${cookieValue(auth.config.value)}`;
        const existing = headers.get("Cookie");
        headers.set("Cookie", existing ? `${existing}; ${pair}` : pair);
      } else {
        headers.set(auth.config.name, auth.config.value);
      }
    }
    return headers;
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw misconfigured(`A webhook is configured with an invalid header: ${(err as Error).message}`);
  }
}

/** Go's cookie value sanitising: drop bytes a cookie value cannot hold, quote values with space or comma. */
function cookieValue(value: string): string {
  const kept = [...value]
    .filter((ch) => {
      const c = ch.charCodeAt(0);
      return ch.length === 1 && c >= 0x20 && c < 0x7f && ch !== '"' && ch !== ";" && ch !== "\\";
    })
    .join("");
  return /[ ,]/.test(kept) ? `"${kept}"` : kept;
}

function encodeBody(headers: Headers, value: unknown): string {
  const contentType = headers.get("Content-Type");
  if (contentType === CONTENT_TYPE_JSON) return JSON.stringify(value) ?? "null";
  if (contentType === CONTENT_TYPE_FORM) {
    if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === "string")) {
      throw misconfigured(
        "A webhook with Content-Type application/x-www-form-urlencoded needs a body template that yields an object of strings.",
      );
    }
    const form = new URLSearchParams();
    for (const key of Object.keys(value).sort()) form.append(key, value[key] as string);
    return form.toString();
  }
  throw misconfigured("invalid config - incorrect Content-Type for request with body");
}

// --- response -----------------------------------------------------------------------------------------

async function readBody(response: Response, timeoutMs: number): Promise<string> {
  const declared = Number(response.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > WEBHOOK_MAX_RESPONSE_BYTES) throw tooLarge();
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > WEBHOOK_MAX_RESPONSE_BYTES) {
        void reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw transportError(err, timeoutMs);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

async function discard(response: Response): Promise<void> {
  if (response.body !== null && !response.bodyUsed) await response.body.cancel().catch(() => undefined);
}

/** A hook target's answer is untrusted input too: one nested past the bounds is unreadable. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (jsonTextBoundsError(text) !== undefined) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * `{"messages":[{"instance_ptr":"#/traits/email","messages":[{"id":1,"text":"…","type":"error","context":{}}]}]}`
 * ⇒ issues, or `undefined` when the body is not that shape or names no entry at all.
 */
function parseMessages(text: string): WebHookIssue[] | undefined {
  const parsed = parseJson(text);
  if (!parsed.ok || !isPlainObject(parsed.value)) return undefined;
  const entries = parsed.value.messages;
  if (!Array.isArray(entries) || entries.length === 0) return undefined;
  const issues: WebHookIssue[] = [];
  for (const entry of entries) {
    if (!isPlainObject(entry)) return undefined;
    const pointer = entry.instance_ptr ?? "";
    const details = entry.messages ?? [];
    if (typeof pointer !== "string" || !Array.isArray(details)) return undefined;
    const path = pointerToPath(pointer);
    for (const detail of details) {
      const message = detailMessage(detail);
      if (message === undefined) return undefined;
      issues.push({ path, message });
    }
  }
  return issues;
}

function detailMessage(detail: unknown): UiText | undefined {
  if (!isPlainObject(detail)) return undefined;
  const { id = 0, text = "", type = "", context } = detail;
  if (
    typeof id !== "number" ||
    !Number.isInteger(id) ||
    typeof text !== "string" ||
    typeof type !== "string"
  ) {
    return undefined;
  }
  const message: UiText = { id, text, type: type === "error" ? "error" : "info" };
  if (isPlainObject(context)) message.context = context;
  return message;
}

/** `#/traits/email` ⇒ `traits.email`; an empty pointer (`""`, `#`, `#/`) ⇒ `""` (global). */
export function pointerToPath(pointer: string): string {
  let p = pointer.trim();
  if (p.startsWith("#")) p = p.slice(1);
  if (p.startsWith("/")) p = p.slice(1);
  if (p === "") return "";
  return p
    .split("/")
    .map((token) => {
      let decoded = token;
      try {
        decoded = decodeURIComponent(token);
      } catch {
        // not percent-encoded
      }
      return decoded.replaceAll("~1", "/").replaceAll("~0", "~");
    })
    .join(".");
}

/**
 * A 200 answer to a `response.parse` hook: `{"identity": {...}}` ⇒ the fields it may change (Kratos keeps a
 * field unless the answer has a non-empty value for it; `external_id` is taken whenever present).
 * `undefined` when there is no identity. A body that is not JSON, or fields of the wrong type, are a 502.
 */
function parseIdentityPatch(text: string): WebHookIdentityPatch | undefined {
  const parsed = parseJson(text);
  if (!parsed.ok || !isPlainObject(parsed.value)) throw unreadable();
  const identity = parsed.value.identity;
  if (identity === undefined || identity === null) return undefined;
  if (!isPlainObject(identity)) throw unreadable();

  const patch: WebHookIdentityPatch = {};
  const { traits, schema_id, state, verifiable_addresses, recovery_addresses, external_id } = identity;
  if (traits !== undefined && traits !== null) patch.traits = traits;
  if (schema_id !== undefined && schema_id !== null) {
    if (typeof schema_id !== "string") throw unreadable();
    if (schema_id !== "") patch.schema_id = schema_id;
  }
  if (state !== undefined && state !== null) {
    if (typeof state !== "string") throw unreadable();
    if (state !== "") patch.state = state;
  }
  for (const key of ["verifiable_addresses", "recovery_addresses"] as const) {
    const list = key === "verifiable_addresses" ? verifiable_addresses : recovery_addresses;
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || !list.every(isPlainObject)) throw unreadable();
    if (list.length > 0) patch[key] = list;
  }
  for (const key of ["metadata_public", "metadata_admin"] as const) {
    if (key in identity) patch[key] = identity[key];
  }
  if ("external_id" in identity) {
    if (external_id !== null && typeof external_id !== "string") throw unreadable();
    patch.external_id = external_id;
  }
  return patch;
}

// --- errors -------------------------------------------------------------------------------------------

function transportError(err: unknown, timeoutMs: number): HttpError {
  if (err instanceof HttpError) return err;
  if (isTimeout(err)) {
    return errors.gatewayTimeout(REASON_UNREACHABLE, `webhook request timed out after ${timeoutMs} ms`);
  }
  const code = errorCode(err);
  return errors.badGateway(
    REASON_UNREACHABLE,
    code ? `webhook request failed: ${code}` : "webhook request failed",
  );
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

function isTimeout(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === "TimeoutError") return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && TIMEOUT_CODES.has(code)) return true;
  }
  return false;
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function improper(message: string): HttpError {
  return errors.badGateway(REASON_IMPROPER, message);
}

function unreadable(): HttpError {
  return improper("webhook response could not be unmarshalled properly from JSON");
}

function tooLarge(): HttpError {
  return improper(`webhook response body is larger than ${WEBHOOK_MAX_RESPONSE_BYTES} bytes`);
}

function misconfigured(reason: string): HttpError {
  return errors.internal(reason);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
