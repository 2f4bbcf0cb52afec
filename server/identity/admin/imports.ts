import type { CredentialsImport, VerifiableAddressImport } from "#shared/admin.ts";
import type { CredentialRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import { isSupportedHash } from "../../methods/password/hasher.ts";
import { checkMaxLength } from "../../methods/password/policy.ts";
import { errors } from "../../request/errors.ts";
import { message } from "../../ui/messages.ts";
import { passwordIdentifiers, withPassword } from "../manager.ts";
import { normalizeEmail, normalizePhone } from "../normalize.ts";

/**
 * Importing credentials and addresses with a create or update body (Kratos's identity import):
 * plaintext or hashed passwords, OIDC links, and the verification state of addresses.
 */

const UNSUPPORTED_IMPORTS = ["totp", "lookup_secret", "webauthn", "passkey", "saml"] as const;

/**
 * The credentials of a create or update body, checked and hashed once, ready to be added to an
 * identity synchronously (inside a store transaction, possibly on a newer state of the identity).
 */
export interface PreparedImport {
  hashedPassword?: string;
  oidcProviders?: readonly OidcImportProvider[];
}

/** Adds the credentials of a create or update body; a password replaces, OIDC links are added. */
export async function withImportedCredentials(
  deps: AppDeps,
  identity: FullIdentity,
  credentials: CredentialsImport | null | undefined,
): Promise<FullIdentity> {
  return withPreparedImport(deps, identity, await prepareImport(deps, identity, credentials));
}

/**
 * Checks the imported credentials against `identity` (the identity they are for, traits already
 * applied) and hashes a plaintext password: the slow, asynchronous half of an import.
 */
export async function prepareImport(
  deps: AppDeps,
  identity: FullIdentity,
  credentials: CredentialsImport | null | undefined,
): Promise<PreparedImport> {
  if (!credentials) return {};
  for (const type of UNSUPPORTED_IMPORTS) {
    if (credentials[type] !== undefined && credentials[type] !== null) {
      throw errors.badRequest(`Importing ${type} credentials is not supported by this server.`);
    }
  }
  return {
    ...(credentials.password
      ? { hashedPassword: await importedPasswordHash(deps, identity, credentials.password.config) }
      : {}),
    ...(credentials.oidc ? { oidcProviders: credentials.oidc.config.providers } : {}),
  };
}

/** The synchronous half of an import: adds the prepared credentials to `identity`. */
export function withPreparedImport(
  deps: AppDeps,
  identity: FullIdentity,
  prepared: PreparedImport,
): FullIdentity {
  let next = identity;
  if (prepared.hashedPassword !== undefined) next = withPassword(deps, next, prepared.hashedPassword);
  if (prepared.oidcProviders) next = withImportedOidc(deps, next, prepared.oidcProviders);
  return next;
}

async function importedPasswordHash(
  deps: AppDeps,
  identity: FullIdentity,
  config: NonNullable<CredentialsImport["password"]>["config"],
): Promise<string> {
  if (config.use_password_migration_hook) {
    throw errors.badRequest("The password migration hook is not supported by this server.");
  }
  const plaintext = config.password || undefined;
  const hashed = config.hashed_password || undefined;
  if (plaintext && hashed) {
    throw errors.badRequest("Import either a password or a hashed_password, not both.");
  }
  if (!plaintext && !hashed) {
    throw errors.badRequest("A password credential needs a password or a hashed_password.");
  }
  // A password nobody can sign in with (no identifier in the traits) is a mistake, not an import.
  const identifiers = passwordIdentifiers(deps, identity);
  if (identifiers.length === 0) throw errors.badRequest(message(4000009).text);
  if (hashed) {
    if (!isSupportedHash(hashed)) {
      throw errors.badRequest(
        "The hashed_password is not in a supported format; import bcrypt, argon2, pbkdf2, scrypt, firescrypt, md5, sha1/256/512, ssha, md5-crypt, sha256-crypt, sha512-crypt or hmac hashes in Kratos's encoding.",
      );
    }
    return hashed;
  }
  const password = plaintext!;
  const issue = checkMaxLength(password, deps.hasher) ?? (await deps.policy.check(password, identifiers));
  if (issue) throw errors.badRequest(issue.text, { details: { messages: [{ path: "password", ...issue }] } });
  return deps.hasher.hash(password);
}

type OidcImportProvider = NonNullable<CredentialsImport["oidc"]>["config"]["providers"][number];

/** Kratos's OIDC identifier: `<provider>:<subject>`. */
export const oidcIdentifier = (provider: string, subject: string) => `${provider}:${subject}`;

interface StoredOidcProvider {
  provider: string;
  subject: string;
  [key: string]: unknown;
}

export function storedProviders(credential: CredentialRecord | undefined): StoredOidcProvider[] {
  const providers = credential?.config.providers;
  return Array.isArray(providers) ? (providers as StoredOidcProvider[]) : [];
}

function withImportedOidc(
  deps: AppDeps,
  identity: FullIdentity,
  imported: readonly OidcImportProvider[],
): FullIdentity {
  if (imported.length === 0) return identity;
  const now = deps.clock.now();
  const existing = identity.credentials.find((c) => c.type === "oidc");
  const providers = [...storedProviders(existing)];
  const known = new Set(providers.map((p) => oidcIdentifier(p.provider, p.subject)));
  for (const p of imported) {
    const id = oidcIdentifier(p.provider, p.subject);
    if (known.has(id)) continue;
    known.add(id);
    providers.push({
      subject: p.subject,
      provider: p.provider,
      initial_id_token: "",
      initial_access_token: "",
      initial_refresh_token: "",
      ...(p.organization ? { organization: p.organization } : {}),
      ...(p.use_auto_link ? { use_auto_link: true } : {}),
    });
  }
  return withOidcProviders(identity, existing, providers, now);
}

/** Rewrites the OIDC credential from its provider list; no providers left removes it. */
export function withOidcProviders(
  identity: FullIdentity,
  existing: CredentialRecord | undefined,
  providers: StoredOidcProvider[],
  now: Date,
): FullIdentity {
  const others = identity.credentials.filter((c) => c.type !== "oidc");
  if (providers.length === 0) return { ...identity, credentials: others, updatedAt: now };
  const credential: CredentialRecord = {
    id: existing?.id ?? crypto.randomUUID(),
    identityId: identity.id,
    type: "oidc",
    identifiers: providers.map((p) => oidcIdentifier(p.provider, p.subject)),
    config: { ...(existing?.config ?? {}), providers },
    version: existing?.version ?? 0,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  return { ...identity, credentials: [...others, credential], updatedAt: now };
}

function addressKey(via: string, value: string): string {
  const normalized =
    via === "email" ? normalizeEmail(value) : via === "sms" ? normalizePhone(value) : undefined;
  return `${via}\u0000${normalized ?? value.trim().toLowerCase()}`;
}

/**
 * Carries the verification state of imported addresses onto the addresses the schema derived
 * from the traits (matched by channel and normalised value). Imported addresses the traits do not
 * produce are dropped, as in Kratos: the schema is the source of truth for which addresses exist.
 */
export function withImportedVerification(
  identity: FullIdentity,
  imported: readonly VerifiableAddressImport[],
  now: Date,
): FullIdentity {
  if (imported.length === 0) return identity;
  const byKey = new Map(imported.map((a) => [addressKey(a.via, a.value), a]));
  const verifiableAddresses = identity.verifiableAddresses.map((address) => {
    const match = byKey.get(addressKey(address.via, address.value));
    if (!match) return address;
    return {
      ...address,
      verified: match.verified,
      status: match.status,
      verifiedAt: verifiedAtOf(match, now),
    };
  });
  return { ...identity, verifiableAddresses };
}

/** A verified address without a timestamp was verified "now"; an unverified one has none. */
export function verifiedAtOf(address: VerifiableAddressImport, now: Date): Date | null {
  if (!address.verified) return null;
  return address.verified_at ? new Date(address.verified_at) : now;
}
