/** Kratos's redaction text, so operators moving from Kratos recognise it. */
export const DEFAULT_REDACTION_TEXT =
  'Value is sensitive and has been redacted. To see the value set config key "log.leak_sensitive_values = true" or environment variable "LOG_LEAK_SENSITIVE_VALUES=true".';

/** What `log.leak_sensitive_values` and `log.redaction_text` decide. */
export interface Redaction {
  leak: boolean;
  text: string;
}

export function redactionOf(log: {
  leak_sensitive_values: boolean;
  redaction_text?: string | undefined;
}): Redaction {
  return { leak: log.leak_sensitive_values, text: log.redaction_text ?? DEFAULT_REDACTION_TEXT };
}

/**
 * Field names whose values identify a person or carry a secret: identifiers (emails, phone
 * numbers), traits, addresses, network addresses and user agents.
 */
const SENSITIVE_FIELDS = new Set([
  "identifier",
  "identifiers",
  "traits",
  "email",
  "address",
  "addresses",
  "recipient",
  "ip_address",
  "user_agent",
  "external_id",
]);

export function isSensitiveField(name: string): boolean {
  return SENSITIVE_FIELDS.has(name);
}

/**
 * Query parameters whose values are safe to log: ids and switches. Every other value (tokens,
 * codes, `return_to`, tRPC's `input`, `credentials_identifier`) may be a secret or personal.
 */
const LOGGABLE_QUERY = new Set([
  "flow",
  "id",
  "refresh",
  "aal",
  "page",
  "per_page",
  "page_size",
  "page_token",
  "active",
  "expand",
  "include_credential",
  "via",
  "batch",
  "return_session_token_exchange_code",
]);

/**
 * The path and query of a request as logged: without `leak`, values of parameters not known to be
 * harmless become `*` (their names stay, so the line still says what was asked).
 */
export function loggablePath(url: string, redaction: Redaction): string {
  const q = url.indexOf("?");
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (q < 0) return url.slice(start);
  if (redaction.leak) return url.slice(start);
  const params = new URLSearchParams(url.slice(q + 1));
  const parts: string[] = [];
  for (const [k, v] of params)
    parts.push(`${encodeURIComponent(k)}=${LOGGABLE_QUERY.has(k) ? encodeURIComponent(v) : "*"}`);
  return `${url.slice(start, q)}?${parts.join("&")}`;
}
