/**
 * Recognises the stored password-hash formats Tessera can verify, without computing anything.
 * Used by the hasher (which library verifies a hash), by admin import (reject unusable
 * `hashed_password` values with 400 instead of storing a credential nobody can ever log in with)
 * and by the rehash-on-login decision.
 */
import { type ImportedHash, parseImportedHash } from "./imported-hashes.ts";

export type Argon2Variant = "argon2id" | "argon2i" | "argon2d";

export interface BcryptHash {
  family: "bcrypt";
  cost: number;
}

export interface Argon2Hash {
  family: "argon2";
  variant: Argon2Variant;
  /** 0x13 (19) or the legacy 0x10 (16, also implied when the `v=` segment is absent). */
  version: number;
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  /** Length in bytes of the derived key (decoded from the last PHC segment). */
  keyLength: number;
}

/** One of the formats Kratos imports from other systems (pbkdf2, scrypt, md5, sha, crypt, hmac...). */
export interface ImportedFormatHash {
  family: "imported";
  imported: ImportedHash;
}

export type ParsedHash = BcryptHash | Argon2Hash | ImportedFormatHash;

// `$2a$` and `$2b$` are what libraries write today; `$2y$` is PHP's name for the same corrected
// algorithm as `$2b$`. `$2x$` (the buggy pre-2011 crypt_blowfish variant) is deliberately absent.
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

// PHC string: $argon2id$v=19$m=65536,t=3,p=1$<salt b64>$<hash b64>, base64 without padding.
const ARGON2 =
  /^\$(argon2id|argon2i|argon2d)\$(?:v=(\d+)\$)?([a-z]=\d+(?:,[a-z]=\d+)*)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

const UINT32_MAX = 0xffff_ffff;

/** Parses a stored hash, or returns undefined when Tessera cannot verify it. */
export function parseHash(hash: string): ParsedHash | undefined {
  if (hash.startsWith("$2")) return parseBcrypt(hash);
  if (hash.startsWith("$argon2")) return parseArgon2(hash);
  const imported = parseImportedHash(hash);
  return imported ? { family: "imported", imported } : undefined;
}

/** Whether `hash` is a hash Tessera can verify (admin import validation). */
export function isSupportedHash(hash: string): boolean {
  return parseHash(hash) !== undefined;
}

function parseBcrypt(hash: string): BcryptHash | undefined {
  const match = BCRYPT.exec(hash);
  if (!match) return undefined;
  const cost = Number(match[1]);
  if (cost < 4 || cost > 31) return undefined;
  return { family: "bcrypt", cost };
}

function parseArgon2(hash: string): Argon2Hash | undefined {
  const match = ARGON2.exec(hash);
  if (!match) return undefined;
  const [, variant, versionText, paramsText, salt, key] = match;
  const version = versionText === undefined ? 0x10 : Number(versionText);
  if (version !== 0x10 && version !== 0x13) return undefined;

  // Parameter order differs between writers (Go and the reference C code write m,t,p; the node
  // `argon2` package writes m,p,t), so read them by name.
  const params = new Map<string, number>();
  for (const pair of paramsText!.split(",")) {
    const [name, value] = pair.split("=") as [string, string];
    if (params.has(name)) return undefined;
    params.set(name, Number(value));
  }
  const memoryKiB = params.get("m");
  const iterations = params.get("t");
  const parallelism = params.get("p");
  if (params.size !== 3 || memoryKiB === undefined || iterations === undefined || parallelism === undefined) {
    return undefined;
  }
  // The limits argon2 itself enforces; anything outside them would only fail later, at login.
  if (iterations < 1 || iterations > UINT32_MAX) return undefined;
  if (parallelism < 1 || parallelism > 0xff_ffff) return undefined;
  if (memoryKiB < 8 * parallelism || memoryKiB > UINT32_MAX) return undefined;

  const saltBytes = base64DecodedLength(salt!);
  const keyLength = base64DecodedLength(key!);
  if (saltBytes === undefined || saltBytes < 8 || keyLength === undefined || keyLength < 4) return undefined;

  return {
    family: "argon2",
    variant: variant as Argon2Variant,
    version,
    memoryKiB,
    iterations,
    parallelism,
    keyLength,
  };
}

/** Decoded size of unpadded base64, or undefined for an impossible length (1 char left over). */
function base64DecodedLength(text: string): number | undefined {
  const remainder = text.length % 4;
  if (remainder === 1) return undefined;
  return Math.floor(text.length / 4) * 3 + (remainder === 0 ? 0 : remainder - 1);
}
