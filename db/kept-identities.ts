/**
 * Identities as this process last read or wrote them, each under its stamp (db/whoami.ts), so that
 * a request's session lookup reads one narrow row instead of the identity and its four child tables
 * when the identity has not changed since. The stamp comes from the same statement as the session:
 * a write by anyone (another process included) moves it, and the lookup reads the identity anew.
 *
 * What is kept is never handed out: each caller gets its own copy, which it may change.
 */
import { StampedValues } from "./stamped-values.ts";
import type { FullIdentity, IdentityRecord } from "./store.ts";
import { identityStamp } from "./whoami.ts";

/** How many identities are kept (a few KiB each), the oldest written first out. */
const KEPT = 2048;

function stampOf(identity: IdentityRecord): string {
  return identityStamp(identity.version ?? 0, identity.createdAt, identity.updatedAt);
}

/** Deeper than this, a value is not kept (hostile traits stored before the body bounds existed). */
const MAX_DEPTH = 128;

/**
 * A deep copy of a record as the stores build them (JSON values and Dates), or undefined when it
 * is nested deeper than MAX_DEPTH: such an identity is simply read each time. Not structuredClone:
 * Node 20 clones through a MessagePort, whose wake-up of the event loop cost a profile update
 * several times the copy itself.
 */
function copyOf<T>(value: T): T | undefined {
  try {
    return copy(value, 0) as T;
  } catch (error) {
    if (error === TOO_DEEP) return undefined;
    throw error;
  }
}

const TOO_DEEP = new Error("too deep to keep");

/** Whether `value` is nested deeper than MAX_DEPTH: what makes copyOf answer undefined. */
function tooDeep(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (depth > MAX_DEPTH) return true;
  if (value instanceof Date) return false;
  for (const item of Array.isArray(value) ? value : Object.values(value))
    if (tooDeep(item, depth + 1)) return true;
  return false;
}

function copy(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map((item) => copy(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copy((value as Record<string, unknown>)[key], depth + 1);
    // JSON.parse makes "__proto__" an own key; an assignment would set the prototype instead.
    if (key === "__proto__")
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}

export class KeptIdentities {
  readonly #kept = new StampedValues<FullIdentity>(KEPT);

  /** A copy of the identity as it was at `stamp`, if it is kept. */
  get(id: string, stamp: string): FullIdentity | undefined {
    const kept = this.#kept.get(id, stamp);
    return kept && copyOf(kept);
  }

  /** The version and times of the identity kept for `id`, if any: what a lookup may name as kept. */
  held(id: string): KeptStamp | undefined {
    const kept = this.#kept.entry(id)?.value;
    return kept && { id, version: kept.version ?? 0, createdAt: kept.createdAt, updatedAt: kept.updatedAt };
  }

  /** Keeps (a copy of) an identity exactly as the store read it. */
  keepRead(identity: FullIdentity): void {
    const kept = copyOf(identity);
    if (kept) this.#kept.set(identity.id, stampOf(identity), kept);
  }

  /**
   * After a committed write of the identity's row alone (no child written): `row` is the row as
   * stored, as the store just read or returned it (kept as it is: nobody else holds it), and the
   * children are those kept at the state the write was decided on (`before`), which nothing else
   * could have changed in between. If that state is not kept, neither is this.
   */
  keepRowWrite(before: IdentityRecord, row: IdentityRecord): void {
    const prior = this.#kept.get(before.id, stampOf(before));
    // Too deep to copy when asked for: not worth keeping.
    if (!prior || tooDeep(row, 0)) return;
    const { credentials, verifiableAddresses, recoveryAddresses } = prior;
    this.#kept.set(row.id, stampOf(row), {
      ...row,
      credentials,
      verifiableAddresses,
      recoveryAddresses,
    });
  }
}

/** What names a kept identity as current: its id, version and times. */
export interface KeptStamp {
  id: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}
