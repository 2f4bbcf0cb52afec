import { randomBytes } from "node:crypto";
import { gcm } from "@noble/ciphers/aes.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import type { AppDeps } from "../deps.ts";

/**
 * Kratos's `cipher` package (`ciphers.algorithm` + `secrets.cipher`): what encrypts the OIDC state
 * and the provider tokens Tessera stores. The encodings match Kratos byte for byte, so data written
 * by one can be read by the other:
 * - `noop`: the plaintext, hex encoded;
 * - `aes`: AES-256-GCM, hex(nonce(12) | ciphertext | tag) — Go's `NewGCMWithRandomNonce`;
 * - `xchacha20-poly1305`: hex(nonce(24) | ciphertext | tag).
 * Keys are the `secrets.cipher` entries that are exactly 32 bytes; the first encrypts, all decrypt
 * (key rotation). An empty message encrypts to "" and "" decrypts to "", as in Kratos.
 */
export type CipherAlgorithm = "noop" | "aes" | "xchacha20-poly1305";

export interface Cipher {
  readonly algorithm: CipherAlgorithm;
  encrypt(plaintext: string): string;
  /** Throws CipherError when the text was not made with one of the keys. */
  decrypt(ciphertext: string): string;
}

export class CipherError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(text)) throw new CipherError("not hex encoded");
  return new Uint8Array(Buffer.from(text, "hex"));
}

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Kratos keeps only the secrets of exactly 32 bytes. */
export function cipherKeys(secrets: readonly string[] | undefined): Uint8Array[] {
  return (secrets ?? []).map((s) => encoder.encode(s)).filter((k) => k.length === 32);
}

type Aead = (
  key: Uint8Array,
  nonce: Uint8Array,
) => {
  encrypt(plain: Uint8Array): Uint8Array;
  decrypt(sealed: Uint8Array): Uint8Array;
};

function aeadCipher(algorithm: CipherAlgorithm, make: Aead, nonceSize: number, keys: Uint8Array[]): Cipher {
  return {
    algorithm,
    encrypt(plaintext) {
      if (plaintext === "") return "";
      const key = keys[0];
      if (!key) throw new CipherError("Unable to encrypt message because no cipher secrets were configured.");
      const nonce = new Uint8Array(randomBytes(nonceSize));
      const sealed = make(key, nonce).encrypt(encoder.encode(plaintext));
      const out = new Uint8Array(nonce.length + sealed.length);
      out.set(nonce);
      out.set(sealed, nonce.length);
      return toHex(out);
    },
    decrypt(ciphertext) {
      if (ciphertext === "") return "";
      if (keys.length === 0)
        throw new CipherError("Unable to decipher the encrypted message because no secrets were configured.");
      const raw = fromHex(ciphertext);
      if (raw.length < nonceSize + 16) throw new CipherError("Unable to decipher the encrypted message.");
      const nonce = raw.subarray(0, nonceSize);
      const sealed = raw.subarray(nonceSize);
      for (const key of keys) {
        try {
          return decoder.decode(make(key, nonce).decrypt(sealed));
        } catch {
          // Another key may have made it (rotation).
        }
      }
      throw new CipherError("Unable to decipher the encrypted message.");
    },
  };
}

export function createCipher(algorithm: CipherAlgorithm, secrets: readonly string[] | undefined): Cipher {
  const keys = cipherKeys(secrets);
  switch (algorithm) {
    case "noop":
      return {
        algorithm,
        encrypt: (plaintext) => toHex(encoder.encode(plaintext)),
        decrypt: (ciphertext) => decoder.decode(fromHex(ciphertext)),
      };
    case "aes":
      return aeadCipher(algorithm, (key, nonce) => gcm(key, nonce), 12, keys);
    case "xchacha20-poly1305":
      return aeadCipher(algorithm, (key, nonce) => xchacha20poly1305(key, nonce), 24, keys);
  }
}

const appCiphers = new WeakMap<AppDeps, Cipher>();

/** The app's cipher from `ciphers.algorithm` and `secrets.cipher` (falling back to `secrets.default`). */
export function appCipher(deps: AppDeps): Cipher {
  let c = appCiphers.get(deps);
  if (!c) {
    const raw = deps.config.raw as { ciphers?: { algorithm?: CipherAlgorithm } };
    const secrets = deps.config.raw.secrets;
    c = createCipher(raw.ciphers?.algorithm ?? "noop", secrets.cipher ?? secrets.default);
    appCiphers.set(deps, c);
  }
  return c;
}

/** The oidc credential's stored tokens decrypted, for the admin API's `include_credential=oidc`. */
export function openOidcTokens(cipher: Cipher, config: Record<string, unknown>): Record<string, unknown> {
  const providers = Array.isArray(config.providers) ? (config.providers as Record<string, unknown>[]) : [];
  const open = (v: unknown) => {
    if (typeof v !== "string" || v === "") return "";
    try {
      return cipher.decrypt(v);
    } catch {
      return "";
    }
  };
  return {
    ...config,
    providers: providers.map((p) => ({
      ...p,
      initial_id_token: open(p.initial_id_token),
      initial_access_token: open(p.initial_access_token),
      initial_refresh_token: open(p.initial_refresh_token),
    })),
  };
}
