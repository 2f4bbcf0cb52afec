import {
  StandardSchemaV1Error,
  type TRPC_ERROR_CODE_KEY,
  type TRPCDefaultErrorData,
  type TRPCDefaultErrorShape,
  TRPCError,
} from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { ErrorEnvelope } from "#shared/errors.ts";
import type { FlowOutcome, SubmitInput } from "../flows/kit/outcome.ts";
import { errors, HttpError } from "../request/errors.ts";
import type { TrpcContext } from "./context.ts";

/**
 * The tRPC adapter's single mapping from flow outcomes and errors to results (the REST twin is
 * server/http/outcome.ts). Validation problems are not errors: they come back as the flow with its
 * node messages. Everything that REST answers with a Kratos error envelope becomes a TRPCError whose
 * `data.kratos` is that same envelope and whose `data.httpStatus` is the status REST would use.
 */

/** A flow to show, possibly with messages (REST: 200 or 400 with the flow JSON). */
export interface FormResult<F> {
  status: "form";
  flow: F;
}

/** A finished flow: the body REST returns to JSON callers, tagged. */
export type SuccessResult<S> = { status: "success" } & S;

export type FlowResult<F, S> = FormResult<F> | SuccessResult<S>;

const CODE_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  408: "TIMEOUT",
  409: "CONFLICT",
  // tRPC has no 410; an expired flow is a failed precondition. data.httpStatus stays 410.
  410: "PRECONDITION_FAILED",
  412: "PRECONDITION_FAILED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE_CONTENT",
  428: "PRECONDITION_REQUIRED",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_SERVER_ERROR",
  501: "NOT_IMPLEMENTED",
  502: "BAD_GATEWAY",
  503: "SERVICE_UNAVAILABLE",
  504: "GATEWAY_TIMEOUT",
};

/** The tRPC code for a Kratos HTTP status. */
export function trpcCodeOf(status: number): TRPC_ERROR_CODE_KEY {
  return CODE_BY_STATUS[status] ?? (status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR");
}

/** An HttpError as a TRPCError; the HttpError stays the cause, so the formatter sends its envelope. */
export function toTRPCError(err: HttpError): TRPCError {
  return new TRPCError({ code: trpcCodeOf(err.code), message: err.message, cause: err });
}

/**
 * Maps a flow outcome for a tRPC caller (always a JSON caller). `F` is the flow's wire type, `S` the
 * success body's; the services produce exactly those bodies for JSON callers.
 */
export function toResult<F, S extends object>(outcome: FlowOutcome): FlowResult<F, S> {
  switch (outcome.kind) {
    case "form":
      return { status: "form", flow: outcome.body as F };
    case "success":
      return { status: "success", ...((outcome.body ?? {}) as S) };
    case "redirect":
      // Only browsers that are not JSON callers are redirected; a tRPC call never is.
      throw toTRPCError(errors.internal());
    case "refresh_required":
      throw toTRPCError(errors.sessionRefreshRequired(outcome.redirectTo));
    case "browser_location_change":
      throw toTRPCError(errors.browserLocationChangeRequired(outcome.redirectTo));
    case "error":
      throw toTRPCError(outcome.error);
  }
}

/** A typed body handed to a flow service exactly as REST hands it a decoded JSON body. */
export function jsonSubmission(flowId: string, body: unknown, dryRun?: boolean): SubmitInput {
  const value = withDryRun(body, dryRun);
  return { flowId, readPayload: async () => ({ kind: "json", value }), json: true };
}

/**
 * The typed `dryRun` input as REST's body field `dry_run` (server/flows/kit/dry-run.ts reads it
 * there); when given it wins over a `dry_run` in the body. A body that is not an object is left for
 * the service to refuse.
 */
function withDryRun(body: unknown, dryRun: boolean | undefined): unknown {
  if (dryRun === undefined || typeof body !== "object" || body === null || Array.isArray(body)) return body;
  return { ...body, dry_run: dryRun };
}

/** For steps that, for a JSON caller, can only show a flow (creating one): the flow itself. */
export function expectForm<F>(outcome: FlowOutcome): F {
  const result = toResult<F, object>(outcome);
  if (result.status !== "form") throw toTRPCError(errors.internal());
  return result.flow;
}

/**
 * The Kratos error behind any TRPCError: the HttpError a service threw or returned, a 400 for input
 * that failed the procedure's schema, the status of tRPC's own errors (unknown procedure, wrong
 * method, ...), and a bare 500 for anything unexpected (never leaking its message).
 */
export function httpErrorOf(error: TRPCError): HttpError {
  const cause = error.cause;
  if (cause instanceof HttpError) return cause;
  if (error.code === "INTERNAL_SERVER_ERROR") return errors.internal();
  const status = getHTTPStatusCodeFromError(error);
  if (cause instanceof StandardSchemaV1Error) {
    const issues = cause.issues.map((i) => ({
      path: (i.path ?? []).map((p) => (typeof p === "object" ? p.key : p)).join("."),
      message: i.message,
    }));
    const first = issues[0];
    return new HttpError(status, {
      reason: first ? `${first.path || "input"}: ${first.message}` : "The input is invalid.",
      details: { issues },
    });
  }
  return new HttpError(status, { reason: error.message });
}

/** The `data` of every tRPC error: tRPC's own fields plus Kratos's envelope under `kratos`. */
export type TesseraErrorData = TRPCDefaultErrorData & {
  /** Exactly what the REST route would have answered: `{ error: {...}, redirect_browser_to?, use_flow_id?, ... }`. */
  kratos: ErrorEnvelope;
};

/** The shape of every tRPC error (what `TRPCClientError<PublicRouter>` is typed with). */
export type TesseraErrorShape = Omit<TRPCDefaultErrorShape, "data"> & { data: TesseraErrorData };

/** The error formatter of both routers: one shape for every error, whoever threw it. */
export function formatError({
  shape,
  error,
  ctx,
}: {
  shape: TRPCDefaultErrorShape;
  error: TRPCError;
  ctx: TrpcContext | undefined;
}): TesseraErrorShape {
  const http = httpErrorOf(error);
  const kratos = http.toEnvelope() as ErrorEnvelope;
  const requestId = ctx?.http.req.headers.get("x-request-id");
  if (requestId) kratos.error.request = requestId;
  const code = trpcCodeOf(http.code);
  return {
    ...shape,
    code: TRPC_ERROR_CODES_BY_KEY[code],
    message: http.message,
    data: { ...shape.data, code, httpStatus: http.code, kratos },
  };
}
