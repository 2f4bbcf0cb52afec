import type { GenericError } from "#shared/errors.ts";

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const DEFAULT_MESSAGE: Record<number, string> = {
  400: "The request was malformed or contained invalid parameters",
  401: "The request could not be authorized",
  403: "The requested action was forbidden",
  404: "The requested resource could not be found",
  405: "The requested method is not allowed",
  409: "The resource could not be created due to a conflict",
  410: "The requested resource is no longer available because it has expired or is otherwise invalid.",
  413: "The request body is too large",
  415: "The request used an unsupported content type",
  500: "An internal server error occurred, please contact the system administrator",
  502: "Upstream error",
  503: "The service is temporarily unavailable",
  504: "A third-party upstream service could not be reached. Please try again later.",
};

export interface HttpErrorInit {
  id?: string;
  reason?: string;
  message?: string;
  details?: Record<string, unknown>;
  /** Top-level siblings of `error` in the envelope, e.g. `redirect_browser_to`, `use_flow_id`. */
  extra?: Record<string, unknown>;
}

/**
 * An error with an HTTP status and Kratos's envelope (contract §1.1). Flow services throw these;
 * each adapter decides how to deliver them (JSON body, error-container redirect, tRPC error).
 */
export class HttpError extends Error {
  readonly id: string | undefined;
  readonly reason: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    readonly code: number,
    init: HttpErrorInit = {},
  ) {
    super(init.message ?? DEFAULT_MESSAGE[code] ?? "An error occurred");
    this.name = "HttpError";
    this.id = init.id;
    this.reason = init.reason;
    this.details = init.details;
    this.extra = init.extra;
  }

  get status(): string {
    return STATUS_TEXT[this.code] ?? "Error";
  }

  /** The inner error object, fields in Kratos's order, empty ones omitted. */
  toGeneric(): GenericError {
    const out: GenericError = { message: this.message };
    const ordered: GenericError = {
      ...(this.id ? { id: this.id } : {}),
      code: this.code,
      status: this.status,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details && Object.keys(this.details).length > 0 ? { details: this.details } : {}),
      message: out.message,
    };
    return ordered;
  }

  toEnvelope(): Record<string, unknown> {
    return { error: this.toGeneric(), ...(this.extra ?? {}) };
  }
}

/**
 * Every Kratos error Tessera answers with, one named constructor each (contract §1.2). Services
 * build errors through these, never with `new HttpError(...)` inline, so an id, its status and its
 * default texts are written once.
 */
export const errors = {
  badRequest: (reason: string, init: Omit<HttpErrorInit, "reason"> = {}) =>
    new HttpError(400, { reason, ...init }),
  notFound: (reason?: string, message = "Unable to locate the resource") =>
    new HttpError(404, { message, ...(reason ? { reason } : {}) }),
  /** A path nothing is mounted on. */
  routeNotFound: () => new HttpError(404, { message: "The requested resource could not be found" }),
  methodNotAllowed: (reason: string) => new HttpError(405, { reason }),
  forbidden: (init: HttpErrorInit) => new HttpError(403, init),
  conflict: (reason: string, init: Omit<HttpErrorInit, "reason"> = {}) =>
    new HttpError(409, { reason, ...init }),
  internal: (reason?: string) => new HttpError(500, reason ? { reason } : {}),

  /** 401 `session_inactive`; `message` differs between endpoints as it does in Kratos. */
  sessionInactive: (
    reason = "No valid session credentials found in the request.",
    message = "The request could not be authorized",
  ) => new HttpError(401, { id: "session_inactive", reason, message }),
  /** 400 `session_already_available` (login and registration with a session). */
  sessionAlreadyAvailable: (reason: string) =>
    new HttpError(400, { id: "session_already_available", reason }),
  /** 401 `session_aal1_required`. */
  sessionAal1Required: (reason: string) => new HttpError(401, { id: "session_aal1_required", reason }),
  /** 403 `session_refresh_required` (contract §10.3). */
  sessionRefreshRequired: (redirectTo: string) =>
    new HttpError(403, {
      id: "session_refresh_required",
      reason:
        "The login session is too old and thus not allowed to update these fields. Please re-authenticate.",
      extra: { redirect_browser_to: redirectTo },
    }),
  /** 422 `browser_location_change_required` (a flow continues with a navigation, e.g. to a provider). */
  browserLocationChangeRequired: (redirectTo: string) =>
    new HttpError(422, {
      id: "browser_location_change_required",
      reason: `In order to complete this flow please redirect the browser to: ${redirectTo}`,
      message: "browser location change required",
      extra: { redirect_browser_to: redirectTo },
    }),
  /** 403 `security_csrf_violation` (contract §9). */
  csrfViolation: (details: Record<string, unknown>) =>
    new HttpError(403, {
      id: "security_csrf_violation",
      reason:
        "Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.",
      details,
      message: "the request was rejected to protect you from Cross-Site-Request-Forgery",
    }),
  /** 403 `security_identity_mismatch`: a flow of another identity. */
  identityMismatch: (
    reason = "The request was initiated by someone else and has been blocked for security reasons. Please go back and try again.",
  ) => new HttpError(403, { id: "security_identity_mismatch", reason }),
  /** 400 `self_service_flow_disabled`. */
  flowDisabled: (reason: string) => new HttpError(400, { id: "self_service_flow_disabled", reason }),
  /** 410 `self_service_flow_expired`; `extra` carries `use_flow_id` and friends for submissions. */
  flowExpired: (init: Omit<HttpErrorInit, "id">) =>
    new HttpError(410, { id: "self_service_flow_expired", ...init }),
  /** 410 without an id: Kratos's answer to fetching an expired settings flow. */
  gone: (init: Omit<HttpErrorInit, "id">) => new HttpError(410, init),
  /** 415: a body of a type the endpoint does not take (tRPC calls must be JSON). */
  unsupportedMediaType: (reason: string) => new HttpError(415, { reason }),
  /** 400 `self_service_flow_return_to_forbidden`. */
  returnToForbidden: (reason: string) =>
    new HttpError(400, { id: "self_service_flow_return_to_forbidden", reason }),
  /** 404 for a method or flow switched off in the configuration. */
  methodDisabled: () =>
    new HttpError(404, {
      reason:
        "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.",
    }),
  /** 400 for an identity naming a schema id the registry does not know (Kratos has no id for it). */
  unknownSchemaId: (schemaId: string) =>
    new HttpError(400, { reason: `Unable to find JSON Schema ID: ${schemaId}` }),
  /** 502 without an id: a dependency answered badly or not at all (web hooks). */
  badGateway: (reason: string, message?: string) =>
    new HttpError(502, { reason, ...(message ? { message } : {}) }),
  /** 504: a dependency did not answer in time. */
  gatewayTimeout: (reason: string, message?: string) =>
    new HttpError(504, { reason, ...(message ? { message } : {}) }),
  /** 502 `upstream_error` (a dependency such as the breached-password API failed). */
  upstream: (reason: string, message = "Upstream error") =>
    new HttpError(502, { id: "upstream_error", reason, message }),
};
