import type { GenericError } from "../../shared/errors.ts";

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

export const errors = {
  badRequest: (reason: string, init: Omit<HttpErrorInit, "reason"> = {}) =>
    new HttpError(400, { reason, ...init }),
  notFound: (reason?: string, message = "Unable to locate the resource") =>
    new HttpError(404, { message, ...(reason ? { reason } : {}) }),
  forbidden: (init: HttpErrorInit) => new HttpError(403, init),
  conflict: (reason: string) => new HttpError(409, { reason }),
  internal: (reason?: string) => new HttpError(500, reason ? { reason } : {}),
};
