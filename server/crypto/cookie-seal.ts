import { createHash, hkdfSync, randomBytes } from "node:crypto";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import type { ResolvedConfig } from "../config/resolve.ts";

/**
 * `secrets.cookie` at work: the cookies Kratos seals (the session cookie and the continuity
 * cookie; Kratos's CSRF cookie is a plain nosurf token and stays so) carry their value sealed
 * the way Kratos's cookie codec (ory/x cookiex, format `v1.`) does it:
 *
 *   v1.<base64url(nonce(24) ‖ XChaCha20-Poly1305(key, nonce, {"iat":<unix s>,"v":<value>}, aad))>
 *   key = HKDF-SHA256(secret, no salt, info "ory/x/cookiex/v1", 32 bytes)
 *   aad = "ory/x/cookiex/v1|<purpose>|<cookie name>"
 *
 * so a value can be neither read nor changed nor moved to another cookie. The first secret seals;
 * every secret opens (rotation: put the new secret first, drop the old one once its cookies have
 * expired). A cookie that does not open — tampered, sealed under a dropped secret, too old — is
 * treated as absent, as Kratos does. Secrets come from `secrets.cookie`, else `secrets.default`;
 * without either, a random secret lives as long as the process (cookies die with a restart).
 */

const PREFIX = "v1.";
const INFO = "ory/x/cookiex/v1";
const NONCE_BYTES = 24;
/** cookiex's default: a sealed value older than this never opens. */
const DEFAULT_MAX_AGE_MS = 30 * 24 * 3600_000;
/** Browsers keep at most 4096 bytes per cookie; longer values are refused unopened. */
const MAX_LENGTH = 4096;
/** Opened cookies kept per sealer (a few hundred bytes each); all dropped when full. */
const MAX_OPENED = 4096;

export type CookiePurpose = "kratos/session" | "kratos/continuity";

export interface CookieSealer {
  seal(purpose: CookiePurpose, name: string, value: string, now: Date): string;
  /** The value, or undefined when the cookie does not open (treated as absent). */
  open(
    purpose: CookiePurpose,
    name: string,
    sealed: string,
    now: Date,
    maxAgeMs?: number,
  ): string | undefined;
}

export function createCookieSealer(secrets: readonly string[]): CookieSealer {
  if (secrets.length === 0) throw new Error("at least one cookie secret is required");
  const keys = secrets.map(
    (secret) => new Uint8Array(hkdfSync("sha256", secret, new Uint8Array(0), INFO, 32)),
  );
  const aad = (purpose: string, name: string) => new TextEncoder().encode(`${INFO}|${purpose}|${name}`);
  // A browser sends the same sealed cookie with every request: what it opened to is kept (only
  // successes, bounded), so whoami by cookie does not decrypt it again each time. The age is still
  // checked on every open, from the kept `iat`.
  const opened = new Map<string, { iat: number; value: string }>();
  return {
    seal(purpose, name, value, now) {
      const plaintext = new TextEncoder().encode(
        JSON.stringify({ iat: Math.floor(now.getTime() / 1000), v: value }),
      );
      const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
      const sealed = xchacha20poly1305(keys[0]!, nonce, aad(purpose, name)).encrypt(plaintext);
      return PREFIX + Buffer.concat([nonce, sealed]).toString("base64url");
    },
    open(purpose, name, sealed, now, maxAgeMs = DEFAULT_MAX_AGE_MS) {
      if (!sealed.startsWith(PREFIX) || sealed.length > MAX_LENGTH) return undefined;
      const cacheKey = `${purpose}|${name}|${sealed}`;
      let envelope = opened.get(cacheKey);
      if (!envelope) {
        envelope = openEnvelope(purpose, name, sealed);
        if (!envelope) return undefined;
        if (opened.size >= MAX_OPENED) opened.clear();
        opened.set(cacheKey, envelope);
      }
      if (maxAgeMs > 0 && now.getTime() - envelope.iat * 1000 > maxAgeMs) return undefined;
      return envelope.value;
    },
  };

  function openEnvelope(
    purpose: CookiePurpose,
    name: string,
    sealed: string,
  ): { iat: number; value: string } | undefined {
    const body = sealed.slice(PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
    const bytes = Buffer.from(body, "base64url");
    // Only the canonical encoding opens: a last character differing in its unused bits decodes to
    // the same bytes, and an altered cookie must never open.
    if (bytes.toString("base64url") !== body) return undefined;
    const raw = new Uint8Array(bytes);
    if (raw.length <= NONCE_BYTES + 16) return undefined;
    for (const key of keys) {
      let plaintext: Uint8Array;
      try {
        plaintext = xchacha20poly1305(key, raw.subarray(0, NONCE_BYTES), aad(purpose, name)).decrypt(
          raw.subarray(NONCE_BYTES),
        );
      } catch {
        continue;
      }
      try {
        const envelope = JSON.parse(new TextDecoder().decode(plaintext)) as { iat?: unknown; v?: unknown };
        if (typeof envelope.iat !== "number" || typeof envelope.v !== "string") return undefined;
        return { iat: envelope.iat, value: envelope.v };
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
}

const perConfig = new WeakMap<ResolvedConfig, CookieSealer>();

/** The sealer of an app's configuration, made once per configuration object. */
export function cookieSealer(config: ResolvedConfig): CookieSealer {
  let sealer = perConfig.get(config);
  if (!sealer) {
    const { cookie, default: fallback } = config.raw.secrets;
    const secrets = cookie?.length ? cookie : fallback?.length ? fallback : [ephemeralSecret()];
    sealer = createCookieSealer(secrets);
    perConfig.set(config, sealer);
  }
  return sealer;
}

function ephemeralSecret(): string {
  return createHash("sha256").update(randomBytes(32)).digest("hex");
}
