import type { Logger } from "../logger.ts";
import { isSensitiveField, type Redaction } from "./redact.ts";
import { requestIdOf } from "./request-id.ts";

/**
 * Writes one audit line: `audience: "audit"` (as Kratos marks its audit lines), the event name
 * (`login.succeeded`, `login.failed`, `registration.succeeded`, `settings.changed`,
 * `session.revoked`, `identity.created`, …), the request id of the request given (the admin
 * listener binds its requests' audit: admin operations take only the dependencies), and the
 * fields, of which personal ones (identifiers, traits, addresses) are redacted unless
 * `log.leak_sensitive_values` is on. Never pass a password, token or code: they are not redacted
 * by name, they must not be given at all.
 */
export type Audit = (
  event: string,
  fields?: Record<string, unknown>,
  from?: { req: Request } | Request,
) => void;

export function createAudit(logger: Logger, redaction: Redaction): Audit {
  return (event, fields = {}, from) => {
    const line: Record<string, unknown> = { audience: "audit", event };
    const req = from instanceof Request ? from : from?.req;
    const requestId = req && requestIdOf(req);
    if (requestId) line.request_id = requestId;
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      line[k] = !redaction.leak && isSensitiveField(k) ? redaction.text : v;
    }
    logger.info(event, line);
  };
}

/** For tests and tools that need deps without an audit trail. */
export const noAudit: Audit = () => {};
