import type { FullIdentity } from "../../../db/store.ts";
import { appCipher as cipherOf } from "../../crypto/cipher.ts";
import type { AppDeps } from "../../deps.ts";
import { oidcIdentifier, storedProviders, withOidcProviders } from "../../identity/admin/imports.ts";
import type { ProviderClaims } from "./provider.ts";

/**
 * The identity's `oidc` credential as Kratos stores it: `config.providers[]` of
 * `{subject, provider, initial_id_token, initial_access_token, initial_refresh_token, organization?}`
 * with the tokens encrypted by `ciphers.algorithm`, and one identifier `<provider>:<subject>` each.
 */

export function linkedProviders(identity: FullIdentity) {
  return storedProviders(identity.credentials.find((c) => c.type === "oidc"));
}

export const isLinked = (identity: FullIdentity, providerId: string) =>
  linkedProviders(identity).some((p) => p.provider === providerId);

export function identifierOf(providerId: string, claims: ProviderClaims): string {
  return oidcIdentifier(providerId, claims.subject);
}

/** The identity with the provider appended to its oidc credential (created when missing). */
export function withLinkedProvider(
  deps: AppDeps,
  identity: FullIdentity,
  providerId: string,
  claims: ProviderClaims,
): FullIdentity {
  const cipher = cipherOf(deps);
  const existing = identity.credentials.find((c) => c.type === "oidc");
  const providers = storedProviders(existing).filter((p) => p.provider !== providerId);
  providers.push({
    subject: claims.subject,
    provider: providerId,
    initial_id_token: cipher.encrypt(claims.tokens.idToken),
    initial_access_token: cipher.encrypt(claims.tokens.accessToken),
    initial_refresh_token: cipher.encrypt(claims.tokens.refreshToken),
  });
  return withOidcProviders(identity, existing, providers, deps.clock.now());
}

export function withoutProvider(deps: AppDeps, identity: FullIdentity, providerId: string): FullIdentity {
  const existing = identity.credentials.find((c) => c.type === "oidc");
  const providers = storedProviders(existing).filter((p) => p.provider !== providerId);
  return withOidcProviders(identity, existing, providers, deps.clock.now());
}

/**
 * Kratos's count of active first-factor credentials: a password with a hash counts once, each
 * linked provider once. Unlinking needs at least two (contract §7.2 step 6.2).
 */
export function firstFactorCount(identity: FullIdentity): number {
  let count = 0;
  for (const c of identity.credentials) {
    if (c.type === "password" && typeof c.config.hashed_password === "string" && c.config.hashed_password)
      count += 1;
    if (c.type === "oidc") count += storedProviders(c).filter((p) => p.subject).length;
  }
  return count;
}
