import type { FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";

/**
 * After a successful sign-in with a hash the configured hasher would not write (an imported md5,
 * a bcrypt hash after switching to argon2, older costs), stores the password hashed the current
 * way — the only moment Tessera holds the plaintext (Kratos migrates imported hashes the same way).
 * The write is conditional: if the hash changed meanwhile (a password change raced this sign-in),
 * nothing is written. A failure never fails the sign-in; the next one tries again.
 */
export async function upgradePasswordHash(
  deps: Pick<AppDeps, "hasher" | "store" | "logger">,
  identity: FullIdentity,
  password: string,
  storedHash: string,
): Promise<FullIdentity> {
  if (!deps.hasher.needsRehash(storedHash)) return identity;
  try {
    const fresh = await deps.hasher.hash(password);
    const result = await deps.store.mutateIdentity(identity.id, (current) => {
      const credential = current.credentials.find((c) => c.type === "password");
      if (credential?.config.hashed_password !== storedHash) return { value: false };
      const credentials = current.credentials.map((c) =>
        c === credential ? { ...c, config: { ...c.config, hashed_password: fresh } } : c,
      );
      return { identity: { ...current, credentials }, value: true };
    });
    return result.kind === "done" ? result.identity : identity;
  } catch (error) {
    // e.g. a password longer than bcrypt takes: keep verifying the old hash.
    deps.logger.warn("could not upgrade a password hash at sign-in", {
      identity_id: identity.id,
      error: error instanceof Error ? error.message : String(error),
    });
    return identity;
  }
}
