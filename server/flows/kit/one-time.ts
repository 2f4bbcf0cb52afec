import { createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import type { FlowRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import { parseDuration } from "../../duration.ts";

/**
 * One-time secrets (codes and link tokens) of verification and recovery flows. A secret lives on
 * the flow it was sent for, only as an HMAC, so a code from another flow never matches; each flow
 * counts its attempts so six digits cannot be guessed (Kratos: `max_submissions`, default 5).
 */

export interface OneTimeSecret {
  hmac: string;
  kind: "code" | "token";
  identityId: string;
  /** The address the secret was sent to, and over what. */
  address: string;
  via: "email" | "sms";
  expiresAt: string;
  usedAt?: string;
  /** Minted by an administrator (`/admin/recovery/code`): it does not prove the address. */
  admin?: boolean;
}

const KEY = "one_time_secrets";
/** Names the flow's current count of attempts (store.countFlowAttempt); a new secret starts a new one. */
const GENERATION = "attempts_generation";

function hmacOf(deps: AppDeps, value: string): string {
  const key =
    deps.config.raw.secrets.default?.[0] ?? deps.config.raw.secrets.cookie?.[0] ?? "tessera-one-time";
  return createHmac("sha256", key).update(value).digest("hex");
}

/** Kratos's codes: six digits, leading zeros allowed. */
function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/** Link tokens: 32 random alphanumerics, as Kratos's link strategy mints them. */
export function newToken(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(32)].map((b) => alphabet[b % alphabet.length]).join("");
}

export function secretsOf(flow: FlowRecord): OneTimeSecret[] {
  const list = flow.internalContext[KEY];
  return Array.isArray(list) ? (list as OneTimeSecret[]) : [];
}

/** Whom a secret is for: an address it is mailed to, or the admin API (which proves no address). */
export type SecretRecipient = { value: string; via: "email" | "sms" } | "admin";

/**
 * Mints a code or link token for the identity and stores it on the flow (not yet persisted);
 * earlier ones of the flow stop counting. Answers the raw secret, to be sent and never stored.
 */
export function mintSecret(
  deps: AppDeps,
  flow: FlowRecord,
  kind: OneTimeSecret["kind"],
  identityId: string,
  to: SecretRecipient,
  lifespanMs: number,
): string {
  const raw = kind === "code" ? newCode() : newToken();
  const secret: OneTimeSecret = {
    hmac: hmacOf(deps, raw),
    kind,
    identityId,
    ...(to === "admin"
      ? { address: "", via: "email" as const, admin: true }
      : { address: to.value, via: to.via }),
    expiresAt: new Date(deps.clock.now().getTime() + lifespanMs).toISOString(),
  };
  // A resend replaces the previous code (Kratos deletes the flow's codes before sending anew), and
  // its attempts are counted anew.
  flow.internalContext = { ...flow.internalContext, [KEY]: [secret], [GENERATION]: randomUUID() };
  return raw;
}

export function clearSecrets(flow: FlowRecord): void {
  flow.internalContext = { ...flow.internalContext, [KEY]: [], [GENERATION]: randomUUID() };
}

export type SecretCheck =
  | { kind: "valid"; secret: OneTimeSecret }
  /** Unknown, expired or already used: the same answer for all three. */
  | { kind: "invalid" }
  | { kind: "too_many_attempts" };

/**
 * Counts the attempt, then checks the submitted secret against the flow (the caller persists the
 * flow). The count is the store's, incremented in one statement, so concurrent wrong guesses cannot
 * all read the same count and together exceed the limit. A match is marked used on the flow;
 * whoever persists the flow's passage first wins (the caller claims the flow's state atomically).
 */
export async function checkSecret(
  deps: AppDeps,
  flow: FlowRecord,
  raw: string,
  maxAttempts: number,
): Promise<SecretCheck> {
  const generation = String(flow.internalContext[GENERATION] ?? "initial");
  const attempts = await deps.store.countFlowAttempt(flow.id, generation);
  if (attempts > maxAttempts) return { kind: "too_many_attempts" };
  const supplied = Buffer.from(hmacOf(deps, raw.trim()));
  const now = deps.clock.now().getTime();
  for (const secret of secretsOf(flow)) {
    const stored = Buffer.from(secret.hmac);
    if (stored.length !== supplied.length || !timingSafeEqual(stored, supplied)) continue;
    if (secret.usedAt || Date.parse(secret.expiresAt) < now) return { kind: "invalid" };
    secret.usedAt = new Date(now).toISOString();
    return { kind: "valid", secret };
  }
  return { kind: "invalid" };
}

/** The lifespan of codes and links: `selfservice.methods.<code|link>.config.lifespan` (default 1h). */
export function secretLifespanMs(deps: AppDeps, method: "code" | "link"): number {
  return parseDuration(deps.config.raw.selfservice.methods[method].config.lifespan);
}

export function maxSubmissions(deps: AppDeps): number {
  return deps.config.raw.selfservice.methods.code.config.max_submissions;
}
