/**
 * Wire timestamps: RFC 3339 in UTC. Kratos emits nanoseconds; JavaScript dates carry
 * milliseconds, which every RFC 3339 parser (and Kratos's own SDKs) accepts.
 */
export function toRfc3339(date: Date): string {
  return date.toISOString();
}
