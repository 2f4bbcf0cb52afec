/** A submission's `transient_payload` (contract §2.1): any JSON object, handed to hooks, never stored. */
export function transientPayloadOf(payload: Record<string, unknown>): Record<string, unknown> | undefined {
  const value = payload.transient_payload;
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
