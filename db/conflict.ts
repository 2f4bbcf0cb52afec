import { ConflictError } from "./store.ts";

/**
 * The record field a uniqueness rule protects, keyed by "table.first column of the rule", the part
 * both drivers report. Anything not listed (primary keys, tokens) reports its column name.
 */
const fieldByRule: Record<string, string> = {
  "identity_credential_identifiers.credential_type": "credentials.identifiers",
  "identity_verifiable_addresses.via": "verifiable_addresses",
  "identity_recovery_addresses.via": "recovery_addresses",
};

interface DriverError {
  code?: unknown;
  message?: unknown;
  table?: unknown;
  detail?: unknown;
  cause?: unknown;
}

/**
 * Turns a unique violation into a ConflictError, or returns undefined for any other error.
 * Drizzle wraps driver errors in DrizzleQueryError, so the cause chain is searched.
 */
export function asConflictError(error: unknown): ConflictError | undefined {
  for (
    let current = error, depth = 0;
    typeof current === "object" && current !== null && depth < 5;
    depth++
  ) {
    const driverError = current as DriverError;
    const rule = violatedUniqueRule(driverError);
    if (rule !== undefined) {
      const field = fieldByRule[rule] ?? rule.split(".")[1] ?? undefined;
      return new ConflictError(`A record with the same ${field || "key"} already exists`, field || undefined);
    }
    current = driverError.cause;
  }
  return undefined;
}

/** "table.column" of a violated unique rule ("." when unknown), or undefined for other errors. */
function violatedUniqueRule(error: DriverError): string | undefined {
  // better-sqlite3: "UNIQUE constraint failed: identity_verifiable_addresses.via, identity_verifiable_addresses.value"
  if (error.code === "SQLITE_CONSTRAINT_UNIQUE" || error.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return /failed: (\w+\.\w+)/.exec(String(error.message))?.[1] ?? ".";
  }
  // node-postgres, unique_violation: the table is a field, the columns only appear in
  // the detail, e.g. 'Key (via, value)=(email, a@example.org) already exists.'
  if (error.code === "23505") {
    const column = /^Key \(([^,)]+)/.exec(String(error.detail))?.[1] ?? "";
    return `${typeof error.table === "string" ? error.table : ""}.${column}`;
  }
  return undefined;
}

/** For `catch`: rethrows unique violations as ConflictError and anything else unchanged. */
export function rethrowAsConflict(error: unknown): never {
  throw asConflictError(error) ?? error;
}
