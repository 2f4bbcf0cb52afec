/**
 * The password-hash formats Kratos imports from other systems (Kratos's hash/hash_comparator.go),
 * verified with node:crypto: pbkdf2, scrypt, Firebase scrypt, md5, sha1/256/512 with a salting
 * pattern, LDAP {SSHA}/{SSHA256}/{SSHA512}, md5-crypt, sha256-crypt, sha512-crypt and hmac. The
 * encodings are Kratos's exactly (including its quirks: `$scrypt$ln=` holds N itself, not log2 N;
 * hmac stores the base64 of the hex MAC). A hash that verifies is replaced by one of the configured
 * hasher at that sign-in (`PasswordHasher.needsRehash`), so these live only until first use.
 *
 * Parsing never computes anything (admin import uses it to refuse unusable hashes with 400), and
 * enforces Kratos's parameter bounds (hash/hash_limits.go) so an import cannot make a sign-in cost
 * minutes. The crypt family's rounds are bounded too: they run on the event loop.
 */

import * as nodeCrypto from "node:crypto";
import {
  createCipheriv,
  createHash,
  createHmac,
  getHashes,
  pbkdf2 as pbkdf2Callback,
  scrypt as scryptCallback,
  timingSafeEqual,
} from "node:crypto";
import { promisify } from "node:util";

const pbkdf2 = promisify(pbkdf2Callback);
const scrypt = promisify(scryptCallback) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

export type ImportedHash =
  | { format: "pbkdf2"; digest: string; iterations: number; salt: Buffer; key: Buffer }
  | { format: "scrypt"; n: number; r: number; p: number; salt: Buffer; key: Buffer }
  | {
      format: "firescrypt";
      n: number;
      r: number;
      p: number;
      salt: Buffer;
      key: Buffer;
      separator: Buffer;
      signerKey: Buffer;
    }
  | { format: "ssha"; digest: "sha1" | "sha256" | "sha512"; salt: Buffer; key: Buffer }
  | { format: "sha"; digest: "sha1" | "sha256" | "sha512"; pattern: Buffer; salt: Buffer; key: Buffer }
  | { format: "md5"; pattern?: Buffer; salt?: Buffer; key: Buffer }
  | { format: "md5-crypt"; salt: string; checksum: string }
  | {
      format: "sha256-crypt" | "sha512-crypt";
      rounds: number;
      explicitRounds: boolean;
      salt: string;
      checksum: string;
    }
  | { format: "hmac"; digest: string; key: Buffer; mac: Buffer };

// Kratos's bounds (hash/hash_limits.go).
const MAX_SCRYPT_N = 1 << 17;
const MAX_SCRYPT_LOG_N = 17;
const MAX_SCRYPT_R = 8;
const MAX_SCRYPT_P = 10;
const MAX_PBKDF2_ITERATIONS = 10_000_000;
/** Tessera's: sha-crypt runs on the event loop; 1,000,000 rounds is about two seconds, once. */
const MAX_CRYPT_ROUNDS = 1_000_000;

/**
 * Kratos's pseudo-random functions by name, quirks kept: `sha224` and `sha384` have always meant
 * SHA3-224 and SHA3-384 there, and any other `shaNNN` means SHA-256.
 */
const PBKDF2_PRF: Record<string, string> = {
  sha1: "sha1",
  sha224: "sha3-224",
  sha256: "sha256",
  sha384: "sha3-384",
  sha512: "sha512",
};
const HMAC_DIGESTS = new Set(["md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"]);

/** Base64 as Go's `Strict()` decoders read it: canonical, with or without padding. */
function strictBase64(text: string | undefined, padded: boolean): Buffer | undefined {
  if (text === undefined) return undefined;
  const pattern = padded
    ? /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
    : /^[A-Za-z0-9+/]*$/;
  if (!pattern.test(text) || (!padded && text.length % 4 === 1)) return undefined;
  const bytes = Buffer.from(text, "base64");
  const again = bytes.toString("base64");
  return (padded ? again : again.replace(/=+$/, "")) === text ? bytes : undefined;
}

/** `name=1,other=2` read in exactly this order, as Go's Sscanf does. */
function params(text: string | undefined, names: readonly string[]): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(",");
  if (parts.length !== names.length) return undefined;
  const out: number[] = [];
  for (const [i, part] of parts.entries()) {
    const match = /^([a-z]+)=(\d{1,10})$/.exec(part);
    if (!match || match[1] !== names[i]) return undefined;
    out.push(Number(match[2]));
  }
  return out;
}

/** `pf=<base64>`: the salting pattern with `{SALT}` and `{PASSWORD}` placeholders. */
function saltingPattern(text: string | undefined): Buffer | undefined {
  if (!text?.startsWith("pf=") || text.length === 3) return undefined;
  return strictBase64(text.slice(3), true);
}

/** Recognises one of the imported formats; undefined when it is none of them or is malformed. */
export function parseImportedHash(hash: string): ImportedHash | undefined {
  const parts = hash.split("$");
  const pbkdf2Match = /^\$pbkdf2-(sha\d{1,3})\$/.exec(hash);
  if (pbkdf2Match) {
    const [iterations, length] = params(parts[2], ["i", "l"]) ?? [];
    const salt = strictBase64(parts[3], false);
    const key = strictBase64(parts[4], false);
    const digest = pbkdf2Match[1]!;
    if (parts.length !== 5 || iterations === undefined || !salt || !key) return undefined;
    if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS || key.length === 0 || length === undefined)
      return undefined;
    return { format: "pbkdf2", digest: PBKDF2_PRF[digest] ?? "sha256", iterations, salt, key };
  }
  if (hash.startsWith("$scrypt$")) {
    const [n, r, p] = params(parts[2], ["ln", "r", "p"]) ?? [];
    const salt = strictBase64(parts[3], true);
    const key = strictBase64(parts[4], true);
    if (parts.length !== 5 || n === undefined || r === undefined || p === undefined || !salt || !key)
      return undefined;
    if (!validScrypt(n, r, p) || key.length === 0) return undefined;
    return { format: "scrypt", n, r, p, salt, key };
  }
  if (hash.startsWith("$firescrypt$")) {
    const [logN, r, p] = params(parts[2], ["ln", "r", "p"]) ?? [];
    const [salt, key, separator, signerKey] = [3, 4, 5, 6].map((i) => strictBase64(parts[i], true));
    if (parts.length !== 7 || logN === undefined || r === undefined || p === undefined) return undefined;
    if (!salt || !key || !separator || !signerKey || logN < 1 || logN > MAX_SCRYPT_LOG_N) return undefined;
    if (!validScrypt(2 ** logN, r, p)) return undefined;
    return { format: "firescrypt", n: 2 ** logN, r, p, salt, key, separator, signerKey };
  }
  const ssha = /^\{SSHA(256|512)?\}/.exec(hash);
  if (ssha) {
    const [digest, digestLength] =
      ssha[1] === "256"
        ? (["sha256", 32] as const)
        : ssha[1] === "512"
          ? (["sha512", 64] as const)
          : (["sha1", 20] as const);
    const body = hash.slice(ssha[0].length);
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(body)) return undefined;
    const decoded = Buffer.from(body, "base64");
    if (decoded.length < digestLength + 1) return undefined;
    return {
      format: "ssha",
      digest,
      key: decoded.subarray(0, digestLength),
      salt: decoded.subarray(digestLength),
    };
  }
  const sha = /^\$(sha1|sha256|sha512)\$/.exec(hash);
  if (sha) {
    const pattern = saltingPattern(parts[2]);
    const salt = strictBase64(parts[3], true);
    const key = strictBase64(parts[4], true);
    if (parts.length !== 5 || !pattern || !salt || !key) return undefined;
    return { format: "sha", digest: sha[1] as "sha1" | "sha256" | "sha512", pattern, salt, key };
  }
  if (hash.startsWith("$md5$")) {
    if (parts.length === 3) {
      const key = strictBase64(parts[2], true);
      return key && key.length > 0 ? { format: "md5", key } : undefined;
    }
    const pattern = saltingPattern(parts[2]);
    const salt = strictBase64(parts[3], true);
    const key = strictBase64(parts[4], true);
    if (parts.length !== 5 || !pattern || !salt || !key) return undefined;
    return { format: "md5", pattern, salt, key };
  }
  if (hash.startsWith("$md5-crypt$")) {
    // $md5-crypt$<salt up to 8>$<22 characters>, i.e. crypt's $1$ under Kratos's name.
    const match = /^\$md5-crypt\$([^$]{0,8})\$([./0-9A-Za-z]{22})$/.exec(hash);
    return match ? { format: "md5-crypt", salt: match[1]!, checksum: match[2]! } : undefined;
  }
  const shaCrypt = /^\$(sha256|sha512)-crypt\$(?:rounds=(\d{1,10})\$)?([^$]{0,16})\$([./0-9A-Za-z]+)$/.exec(
    hash,
  );
  if (shaCrypt) {
    const format = shaCrypt[1] === "sha256" ? "sha256-crypt" : "sha512-crypt";
    const checksumLength = format === "sha256-crypt" ? 43 : 86;
    const explicitRounds = shaCrypt[2] !== undefined;
    // As glibc: rounds below 1000 count as 1000.
    const rounds = explicitRounds ? Math.max(1000, Number(shaCrypt[2])) : 5000;
    if (shaCrypt[4]!.length !== checksumLength || rounds > MAX_CRYPT_ROUNDS) return undefined;
    return { format, rounds, explicitRounds, salt: shaCrypt[3]!, checksum: shaCrypt[4]! };
  }
  const hmac = /^\$hmac-(md4|md5|sha1|sha224|sha256|sha384|sha512)\$/.exec(hash);
  if (hmac) {
    const mac = strictBase64(parts[2], true);
    const key = strictBase64(parts[3], true);
    if (parts.length !== 4 || !mac || !key || !HMAC_DIGESTS.has(hmac[1]!)) return undefined;
    return { format: "hmac", digest: hmac[1]!, key, mac };
  }
  return undefined;
}

function validScrypt(n: number, r: number, p: number): boolean {
  const powerOfTwo = n > 1 && (n & (n - 1)) === 0;
  return powerOfTwo && n <= MAX_SCRYPT_N && r >= 1 && r <= MAX_SCRYPT_R && p >= 1 && p <= MAX_SCRYPT_P;
}

const SCRYPT_MAXMEM = 256 * 1024 * 1024;

/** Whether `password` matches an imported hash. */
export async function verifyImportedHash(password: string, parsed: ImportedHash): Promise<boolean> {
  const pw = Buffer.from(password, "utf8");
  switch (parsed.format) {
    case "pbkdf2":
      return same(
        parsed.key,
        await pbkdf2(pw, parsed.salt, parsed.iterations, parsed.key.length, parsed.digest),
      );
    case "scrypt": {
      const { n: N, r, p } = parsed;
      return same(
        parsed.key,
        await scrypt(pw, parsed.salt, parsed.key.length, { N, r, p, maxmem: SCRYPT_MAXMEM }),
      );
    }
    case "firescrypt": {
      // Firebase's modified scrypt: the derived key encrypts the project's signer key (AES-256-CTR, zero IV).
      const { n: N, r, p } = parsed;
      const derived = await scrypt(pw, Buffer.concat([parsed.salt, parsed.separator]), 32, {
        N,
        r,
        p,
        maxmem: SCRYPT_MAXMEM,
      });
      const cipher = createCipheriv("aes-256-ctr", derived, Buffer.alloc(16));
      return same(parsed.key, Buffer.concat([cipher.update(parsed.signerKey), cipher.final()]));
    }
    case "ssha":
      return same(parsed.key, digest(parsed.digest, Buffer.concat([pw, parsed.salt])));
    case "sha":
      return same(parsed.key, digest(parsed.digest, salted(parsed.pattern, parsed.salt, pw)));
    case "md5": {
      const input = parsed.pattern && parsed.salt ? salted(parsed.pattern, parsed.salt, pw) : pw;
      return same(parsed.key, digest("md5", input));
    }
    case "md5-crypt":
      return sameText(parsed.checksum, md5Crypt(pw, Buffer.from(parsed.salt, "utf8")));
    case "sha256-crypt":
    case "sha512-crypt":
      return sameText(
        parsed.checksum,
        shaCrypt(
          parsed.format === "sha256-crypt" ? "sha256" : "sha512",
          pw,
          Buffer.from(parsed.salt, "utf8"),
          parsed.rounds,
        ),
      );
    case "hmac": {
      const mac = hmacOf(parsed.digest, parsed.key, pw);
      return mac !== undefined && same(parsed.mac, Buffer.from(mac.toString("hex"), "utf8"));
    }
  }
}

function same(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function sameText(expected: string, actual: string): boolean {
  return same(Buffer.from(expected, "utf8"), Buffer.from(actual, "utf8"));
}

const oneShot: (algorithm: string, data: Buffer) => Buffer =
  typeof (nodeCrypto as { hash?: unknown }).hash === "function"
    ? (algorithm, data) =>
        (nodeCrypto as unknown as { hash: (a: string, d: Buffer, e: "buffer") => Buffer }).hash(
          algorithm,
          data,
          "buffer",
        )
    : (algorithm, data) => createHash(algorithm).update(data).digest();

function digest(algorithm: string, data: Buffer): Buffer {
  return createHash(algorithm).update(data).digest();
}

/** Kratos replaces `{SALT}` and `{PASSWORD}` in the pattern, each occurrence, in one pass. */
function salted(pattern: Buffer, salt: Buffer, password: Buffer): Buffer {
  const text = pattern.toString("latin1");
  const pieces: Buffer[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("{SALT}", i)) {
      pieces.push(salt);
      i += 6;
    } else if (text.startsWith("{PASSWORD}", i)) {
      pieces.push(password);
      i += 10;
    } else {
      pieces.push(pattern.subarray(i, i + 1));
      i += 1;
    }
  }
  return Buffer.concat(pieces);
}

function hmacOf(algorithm: string, key: Buffer, data: Buffer): Buffer | undefined {
  if (algorithm === "md4" && !getHashes().includes("md4")) return hmacMd4(key, data);
  return createHmac(algorithm, key).update(data).digest();
}

// --- crypt(3) family -----------------------------------------------------------------------

const CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** crypt's base64: groups of three bytes (in the given order), least significant six bits first. */
function cryptBase64(bytes: Buffer, groups: readonly (readonly number[])[]): string {
  let out = "";
  for (const group of groups) {
    let value = 0;
    for (const index of group) value = (value << 8) | bytes[index]!;
    const chars = group.length === 3 ? 4 : group.length === 2 ? 3 : 2;
    for (let i = 0; i < chars; i++) {
      out += CRYPT_ALPHABET[value & 0x3f];
      value >>= 6;
    }
  }
  return out;
}

/** Poul-Henning Kamp's md5-crypt (`$1$`). */
function md5Crypt(password: Buffer, salt: Buffer): string {
  const magic = Buffer.from("$1$");
  const alternate = digest("md5", Buffer.concat([password, salt, password]));
  const parts: Buffer[] = [password, magic, salt];
  for (let left = password.length; left > 0; left -= 16)
    parts.push(alternate.subarray(0, Math.min(16, left)));
  for (let bits = password.length; bits > 0; bits >>= 1)
    parts.push(bits & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  let result = digest("md5", Buffer.concat(parts));
  for (let i = 0; i < 1000; i++) {
    const h = createHash("md5");
    h.update(i & 1 ? password : result);
    if (i % 3) h.update(salt);
    if (i % 7) h.update(password);
    h.update(i & 1 ? result : password);
    result = h.digest();
  }
  return cryptBase64(result, [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5], [11]]);
}

/** Ulrich Drepper's sha256-crypt / sha512-crypt (`$5$`, `$6$`). */
function shaCrypt(algorithm: "sha256" | "sha512", password: Buffer, salt: Buffer, rounds: number): string {
  const size = algorithm === "sha256" ? 32 : 64;
  const repeat = (source: Buffer, length: number) => {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i += size) source.copy(out, i, 0, Math.min(size, length - i));
    return out;
  };
  const b = digest(algorithm, Buffer.concat([password, salt, password]));
  const a = createHash(algorithm).update(password).update(salt).update(repeat(b, password.length));
  for (let bits = password.length; bits > 0; bits >>= 1) a.update(bits & 1 ? b : password);
  const aDigest = a.digest();

  const dpHash = createHash(algorithm);
  for (let i = 0; i < password.length; i++) dpHash.update(password);
  const p = repeat(dpHash.digest(), password.length);
  const dsHash = createHash(algorithm);
  for (let i = 0; i < 16 + aDigest[0]!; i++) dsHash.update(salt);
  const s = repeat(dsHash.digest(), salt.length);

  // The hot loop: one reused buffer and node's one-shot hash (several times faster than
  // createHash with four updates per round).
  let c: Buffer = aDigest;
  const scratch = Buffer.alloc(size + s.length + 2 * p.length + size);
  for (let i = 0; i < rounds; i++) {
    let at = 0;
    at += (i & 1 ? p : c).copy(scratch, at);
    if (i % 3) at += s.copy(scratch, at);
    if (i % 7) at += p.copy(scratch, at);
    at += (i & 1 ? c : p).copy(scratch, at);
    c = oneShot(algorithm, scratch.subarray(0, at));
  }
  return algorithm === "sha256" ? cryptBase64(c, SHA256_ORDER) : cryptBase64(c, SHA512_ORDER);
}

/** The byte order of each output group (glibc's b64_from_24bit calls). */
const SHA256_ORDER: number[][] = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
  [31, 30],
];

const SHA512_ORDER: number[][] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
  [63],
];

// --- MD4 (only for $hmac-md4$ when OpenSSL has no legacy provider) -------------------------

function md4(message: Buffer): Buffer {
  const length = message.length;
  const padded = Buffer.alloc(((length + 8) >> 6) * 64 + 64);
  message.copy(padded);
  padded[length] = 0x80;
  padded.writeUInt32LE((length * 8) >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(length / 0x20000000), padded.length - 4);
  let [a, b, c, d] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    const x = Array.from({ length: 16 }, (_, i) => padded.readUInt32LE(offset + i * 4));
    const [aa, bb, cc, dd] = [a, b, c, d];
    const f = (p: number, q: number, r: number) => (p & q) | (~p & r);
    const g = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
    const h = (p: number, q: number, r: number) => p ^ q ^ r;
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + f(b, c, d) + x[i]!) | 0, 3);
      d = rotl((d + f(a, b, c) + x[i + 1]!) | 0, 7);
      c = rotl((c + f(d, a, b) + x[i + 2]!) | 0, 11);
      b = rotl((b + f(c, d, a) + x[i + 3]!) | 0, 19);
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + g(b, c, d) + x[i]! + 0x5a827999) | 0, 3);
      d = rotl((d + g(a, b, c) + x[i + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + g(d, a, b) + x[i + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + g(c, d, a) + x[i + 12]! + 0x5a827999) | 0, 13);
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + h(b, c, d) + x[i]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + h(a, b, c) + x[i + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + h(d, a, b) + x[i + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + h(c, d, a) + x[i + 12]! + 0x6ed9eba1) | 0, 15);
    }
    [a, b, c, d] = [(a + aa) | 0, (b + bb) | 0, (c + cc) | 0, (d + dd) | 0];
  }
  const out = Buffer.alloc(16);
  for (const [i, v] of [a, b, c, d].entries()) out.writeInt32LE(v, i * 4);
  return out;
}

function hmacMd4(key: Buffer, data: Buffer): Buffer {
  const block = 64;
  const k = Buffer.alloc(block);
  (key.length > block ? md4(key) : key).copy(k);
  const inner = md4(Buffer.concat([Buffer.from(k.map((v) => v ^ 0x36)), data]));
  return md4(Buffer.concat([Buffer.from(k.map((v) => v ^ 0x5c)), inner]));
}
