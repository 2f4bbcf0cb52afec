/**
 * The typed client for Tessera's tRPC API. Only TYPES come from the server (`import type`), so a
 * front-end bundle pulls in @trpc/client and nothing else.
 *
 * Errors are `TRPCClientError`s whose `data.kratos` is the Kratos error envelope the REST API
 * would have answered (`{ error: { id, code, status, reason, message, details }, redirect_browser_to?,
 * use_flow_id? }`); `data.httpStatus` is the REST status (e.g. 410 for an expired flow).
 */
import {
  createTRPCClient,
  type HTTPHeaders,
  httpBatchLink,
  type TRPCClient,
  TRPCClientError,
} from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { ErrorEnvelope } from "#shared/errors.ts";
import type { AdminRouter } from "../server/trpc/admin.ts";
import type { TesseraErrorData } from "../server/trpc/outcome.ts";
import type { PublicRouter } from "../server/trpc/public.ts";

export type { AdminRouter, PublicRouter, TesseraErrorData };
export type PublicInputs = inferRouterInputs<PublicRouter>;
export type PublicOutputs = inferRouterOutputs<PublicRouter>;
export type AdminInputs = inferRouterInputs<AdminRouter>;
export type AdminOutputs = inferRouterOutputs<AdminRouter>;
export type TesseraClient = TRPCClient<PublicRouter>;
export type TesseraAdminClient = TRPCClient<AdminRouter>;

type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export interface TesseraClientOptions {
  /** The public base URL, e.g. `https://auth.example.com/` (the client calls `<url>/trpc`). */
  url: string;
  /** A native app's session token, sent as `X-Session-Token`. Browsers use the session cookie instead. */
  sessionToken?: string;
  /** A fetch to use instead of the global one (tests, server-side rendering with a cookie jar). */
  fetch?: FetchLike;
  /** Extra headers for every request, or a function returning them. */
  headers?: HTTPHeaders | (() => HTTPHeaders | Promise<HTTPHeaders>);
}

function trpcUrl(base: string, prefix = "trpc"): string {
  return new URL(prefix, base.endsWith("/") ? base : `${base}/`).toString();
}

/** Sends cookies cross-origin in browsers (the session and CSRF cookies); harmless elsewhere. */
function withCredentials(fetchImpl: FetchLike | undefined): FetchLike {
  return (input, init) => (fetchImpl ?? globalThis.fetch)(input, { ...init, credentials: "include" });
}

async function resolveHeaders(
  headers: TesseraClientOptions["headers"],
  sessionToken: string | undefined,
): Promise<HTTPHeaders> {
  const extra = typeof headers === "function" ? await headers() : (headers ?? {});
  return sessionToken ? { ...extra, "x-session-token": sessionToken } : extra;
}

/** The public API: registration, login, sessions and settings. */
export function createTesseraClient(options: TesseraClientOptions): TesseraClient {
  return createTRPCClient<PublicRouter>({
    links: [
      httpBatchLink({
        url: trpcUrl(options.url),
        fetch: withCredentials(options.fetch),
        headers: () => resolveHeaders(options.headers, options.sessionToken),
      }),
    ],
  });
}

export interface TesseraAdminClientOptions {
  /** The admin base URL, e.g. `http://127.0.0.1:4434/` (the client calls `<url>/trpc`). */
  url: string;
  fetch?: FetchLike;
  /** E.g. an API key header when the admin listener sits behind a gateway. */
  headers?: HTTPHeaders | (() => HTTPHeaders | Promise<HTTPHeaders>);
}

/** The admin API (identities). Keep it off the public internet: it authenticates by network placement. */
export function createTesseraAdminClient(options: TesseraAdminClientOptions): TesseraAdminClient {
  return createTRPCClient<AdminRouter>({
    links: [
      httpBatchLink({
        url: trpcUrl(options.url),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        headers: () => resolveHeaders(options.headers, undefined),
      }),
    ],
  });
}

/** A failed call's error, typed: `err.data.code`, `err.data.httpStatus`, `err.data.kratos`. */
export type TesseraClientError = TRPCClientError<PublicRouter>;

/** Whether `err` is an error the server answered (with `data.kratos`), not a network failure. */
export function isTesseraError(err: unknown): err is TesseraClientError {
  return err instanceof TRPCClientError && !!(err.data as Partial<TesseraErrorData> | null)?.kratos;
}

function errorDataOf(err: unknown): TesseraErrorData | undefined {
  return isTesseraError(err) ? (err.data as TesseraErrorData) : undefined;
}

/** The Kratos error envelope of a failed call (`undefined` for network errors and non-tRPC errors). */
export function kratosErrorOf(err: unknown): ErrorEnvelope | undefined {
  return errorDataOf(err)?.kratos;
}

/** The Kratos error id of a failed call, e.g. `session_inactive`, `self_service_flow_expired`. */
export function kratosErrorIdOf(err: unknown): string | undefined {
  return kratosErrorOf(err)?.error.id;
}

/**
 * When a change needs a fresher sign-in (403 `session_refresh_required`): where to send the browser
 * (a login flow with `refresh=true` and a `return_to` back). `undefined` for any other error.
 */
export function isRefreshRequired(err: unknown): { redirectBrowserTo: string } | undefined {
  const envelope = kratosErrorOf(err);
  if (envelope?.error.id !== "session_refresh_required") return undefined;
  return { redirectBrowserTo: envelope.redirect_browser_to ?? "" };
}

/** When a flow expired (410 `self_service_flow_expired`): the replacement flow's id, if any. */
export function expiredFlowOf(err: unknown): { useFlowId: string | undefined } | undefined {
  const envelope = kratosErrorOf(err);
  if (envelope?.error.id !== "self_service_flow_expired") return undefined;
  return { useFlowId: envelope.use_flow_id };
}

/** The CSRF token a browser flow carries in its `csrf_token` node (send it back in the body). */
export function csrfTokenOf(flow: { ui: { nodes: { attributes: unknown }[] } }): string | undefined {
  for (const node of flow.ui.nodes) {
    const a = node.attributes as { node_type?: string; name?: string; value?: unknown };
    if (a.node_type === "input" && a.name === "csrf_token" && typeof a.value === "string") return a.value;
  }
  return undefined;
}

export { TRPCClientError };
