/**
 * Errors the server answered, typed by Kratos error id. Every failed call of the client's helpers
 * throws a `TesseraError` carrying the exact envelope the REST API would have sent; a network failure
 * (no answer) is not a TesseraError and is rethrown as it came.
 */
import { TRPCClientError } from "@trpc/client";
import type { TesseraErrorData } from "./router.ts";
import type { ErrorEnvelope, GenericError } from "./wire.ts";

/**
 * The Kratos error ids Tessera answers with, and what each one carries besides the envelope.
 * An error without an id (a plain 400 or 404) has the id `""`.
 */
export interface KratosErrorDetails {
  /** 401: no (or no active) session. */
  session_inactive: object;
  /** 403: the change needs a fresher sign-in; send the browser to `redirectTo`. */
  session_refresh_required: { redirectTo: string };
  /** 410: the flow expired; `useFlowId` is the replacement flow Tessera made. */
  self_service_flow_expired: { useFlowId: string | undefined };
  /** 403: the CSRF cookie and token do not match (cookies cleared, another browser session). */
  security_csrf_violation: object;
  /** 403: the flow belongs to another identity. */
  security_identity_mismatch: object;
  /** 422: a browser must go to `redirectTo`. */
  browser_location_change_required: { redirectTo: string };
  /** 400: a signed-in browser asked for a login or registration flow. */
  session_already_available: object;
  /** 400: `return_to` is not in `selfservice.allowed_return_urls`. */
  self_service_flow_return_to_forbidden: object;
  /** 400/404: the flow or method is disabled. */
  self_service_flow_disabled: object;
  session_aal1_required: object;
  upstream_error: object;
  "": object;
}

export type KratosErrorId = keyof KratosErrorDetails;

/** A failed call: `id` (the Kratos error id), `status` (the REST status) and the `envelope`. */
export class TesseraError<Id extends string = string> extends Error {
  override readonly name = "TesseraError";
  /** The Kratos error id, e.g. `session_inactive`; `""` when the error has none. */
  readonly id: Id;
  /** The HTTP status the REST API would have answered (410 for an expired flow). */
  readonly status: number;
  /** `{ error: { id, code, status, reason, message, details }, redirect_browser_to?, use_flow_id? }`. */
  readonly envelope: ErrorEnvelope;
  /** Where to send the browser, for `session_refresh_required` and `browser_location_change_required`. */
  readonly redirectTo: Id extends "session_refresh_required" | "browser_location_change_required"
    ? string
    : string | undefined;
  /** The replacement flow of an expired one (`self_service_flow_expired`). */
  readonly useFlowId: string | undefined;
  /** The tRPC error it was made from. */
  readonly trpcError: unknown;

  constructor(envelope: ErrorEnvelope, status: number, cause?: unknown) {
    super(envelope.error.reason || envelope.error.message);
    this.id = (envelope.error.id ?? "") as Id;
    this.status = status;
    this.envelope = envelope;
    this.redirectTo = envelope.redirect_browser_to as this["redirectTo"];
    this.useFlowId = envelope.use_flow_id;
    this.trpcError = cause;
  }

  /** The inner error object (`envelope.error`). */
  get error(): GenericError {
    return this.envelope.error;
  }
}

/**
 * Whether `err` is an error the server answered, optionally with the given id:
 * `if (isTesseraError(err, "session_inactive")) signIn();`
 */
export function isTesseraError<Id extends KratosErrorId>(err: unknown, id: Id): err is TesseraError<Id>;
export function isTesseraError(err: unknown): err is TesseraError;
export function isTesseraError(err: unknown, id?: string): err is TesseraError {
  return err instanceof TesseraError && (id === undefined || err.id === id);
}

/** The Kratos envelope of a tRPC error, when the server sent one. */
export function envelopeOf(err: unknown): { envelope: ErrorEnvelope; status: number } | undefined {
  if (err instanceof TesseraError) return { envelope: err.envelope, status: err.status };
  if (!(err instanceof TRPCClientError)) return undefined;
  const data = err.data as Partial<TesseraErrorData> | null | undefined;
  if (!data?.kratos) return undefined;
  return { envelope: data.kratos, status: data.httpStatus ?? data.kratos.error.code ?? 500 };
}

/** A tRPC error as a TesseraError; anything else (a network failure) unchanged. */
export function toTesseraError(err: unknown): unknown {
  if (err instanceof TesseraError) return err;
  const answered = envelopeOf(err);
  return answered ? new TesseraError(answered.envelope, answered.status, err) : err;
}
