/**
 * Password hashing and verification (contract §13, "Hashing").
 *
 * New hashes use the configured algorithm; verification understands both families whatever is
 * configured, and the formats Kratos imports from other systems (imported-hashes.ts), so imported
 * hashes and hashes written before an algorithm switch keep working until the next sign-in
 * replaces them (`needsRehash`).
 * Both native libraries run on the libuv threadpool: hashing never blocks the event loop. A
 * queue sized to the cores (hash-queue.ts) bounds how many run at once, so password work cannot
 * take every core from the requests that need none.
 *
 * argon2 is @node-rs/argon2 (Rust, about twice as fast per hash as the C binding of the `argon2`
 * package at the same parameters); the PHC strings are the same, and each library verifies the
 * other's hashes (tests/password/hasher.test.ts).
 */
import * as argon2 from "@node-rs/argon2";
import bcrypt from "bcrypt";
import type { Config } from "../../config/schema.ts";
import { parseHash } from "./hash-format.ts";
import { HashQueue } from "./hash-queue.ts";
import { verifyImportedHash } from "./imported-hashes.ts";
import { parseMemoryKiB } from "./memory-size.ts";
import { utf8Length } from "./utf8.ts";

export { isSupportedHash } from "./hash-format.ts";

export type HasherConfig = Config["hashers"];

export interface PasswordHasher {
  readonly algorithm: HasherConfig["algorithm"];
  /** Longest password (UTF-8 bytes) the algorithm hashes without truncating; bcrypt: 72. */
  readonly maxBytes: number | undefined;
  /** Hashes with the configured algorithm. Rejects with PasswordTooLongError beyond maxBytes. */
  hash(password: string): Promise<string>;
  /** True when `password` matches; false for a mismatch and for any unknown or malformed hash. */
  verify(password: string, storedHash: string): Promise<boolean>;
  /** Whether a hash that just verified should be replaced (other algorithm or other costs). */
  needsRehash(storedHash: string): boolean;
  /**
   * Costs what a real verification with this configuration costs, then answers false. Login
   * calls it when the identifier is unknown, so response time does not reveal which accounts exist.
   */
  dummyVerify(password: string): Promise<false>;
}

/** bcrypt only reads the first 72 bytes of a password; longer ones would be silently truncated. */
export const BCRYPT_MAX_BYTES = 72;

/** Thrown by `hash` rather than storing a hash that ignores part of the password. */
export class PasswordTooLongError extends Error {
  constructor(
    readonly maxBytes: number,
    readonly actualBytes: number,
  ) {
    super(`password is ${actualBytes} bytes long, the hasher accepts at most ${maxBytes}`);
    this.name = "PasswordTooLongError";
  }
}

export function createHasher(config: HasherConfig): PasswordHasher {
  const hashNew = config.algorithm === "bcrypt" ? bcryptHasher(config.bcrypt) : argon2Hasher(config.argon2);
  const maxBytes = config.algorithm === "bcrypt" ? BCRYPT_MAX_BYTES : undefined;
  const isCurrent =
    config.algorithm === "bcrypt" ? isCurrentBcrypt(config.bcrypt) : isCurrentArgon2(config.argon2);

  const queue = new HashQueue();
  const hashQueued: HashFunction = (password) => queue.run(() => hashNew(password));
  const verifyQueued = (password: string, storedHash: string) =>
    queue.run(() => verifyPassword(password, storedHash));

  // Made on first use (not at creation) so building an app costs no hashing.
  let dummyHash: Promise<string> | undefined;

  return {
    algorithm: config.algorithm,
    maxBytes,
    async hash(password) {
      const bytes = utf8Length(password);
      if (maxBytes !== undefined && bytes > maxBytes) throw new PasswordTooLongError(maxBytes, bytes);
      return hashQueued(password);
    },
    verify: verifyQueued,
    needsRehash: (storedHash) => !isCurrent(storedHash),
    async dummyVerify(password) {
      dummyHash ??= hashQueued(randomBase64(16)).catch((error: unknown) => {
        dummyHash = undefined;
        throw error;
      });
      await verifyQueued(password, await dummyHash);
      return false;
    },
  };
}

/**
 * Module-level form of `hasher.dummyVerify`. Pass the app's hasher: without one it uses the
 * default hashing configuration, which only costs the same if the app runs with the defaults.
 */
export function dummyVerify(password: string, hasher: PasswordHasher = defaultHasher()): Promise<false> {
  return hasher.dummyVerify(password);
}

let defaultHasherInstance: PasswordHasher | undefined;
function defaultHasher(): PasswordHasher {
  // A pure function of constant input, cached only to reuse its dummy hash; holds no app state.
  defaultHasherInstance ??= createHasher({
    algorithm: "argon2",
    argon2: { memory: "19MiB", iterations: 2, parallelism: 1, salt_length: 16, key_length: 32 },
    bcrypt: { cost: 12 },
  });
  return defaultHasherInstance;
}

async function verifyPassword(password: string, storedHash: string): Promise<boolean> {
  const parsed = parseHash(storedHash);
  if (!parsed) return false;
  try {
    if (parsed.family === "bcrypt") {
      // node's bcrypt knows $2a$/$2b$ only; PHP's $2y$ is the same algorithm as $2b$. Passwords
      // over 72 bytes are compared on their first 72, as every bcrypt verifier (Go's included)
      // does: imported hashes from systems that truncated silently must keep working.
      const normalized = storedHash.startsWith("$2y$") ? `$2b$${storedHash.slice(4)}` : storedHash;
      return await bcrypt.compare(password, normalized);
    }
    if (parsed.family === "imported") return await verifyImportedHash(password, parsed.imported);
    return await argon2.verify(storedHash, password);
  } catch {
    // A hash that passed the format check can still be refused by the library (e.g. a key
    // shorter than argon2 allows); that is a failed verification, not a server error.
    return false;
  }
}

type HashFunction = (password: string) => Promise<string>;

function bcryptHasher({ cost }: HasherConfig["bcrypt"]): HashFunction {
  // `$2a$`, as Kratos (Go's x/crypto) writes it. For passwords under 255 bytes, and ours are at
  // most 72, $2a$ and $2b$ produce identical hashes; $2a$ keeps the stored data Kratos-identical.
  return async (password) => bcrypt.hash(password, await bcrypt.genSalt(cost, "a"));
}

/** `Algorithm.Argon2id`: a const enum, which isolated-module builds cannot read from the typings. */
const ARGON2ID = 2 as argon2.Algorithm;

function argon2Hasher(settings: HasherConfig["argon2"]): HashFunction {
  const memoryKiB = parseMemoryKiB(settings.memory);
  if (memoryKiB < 8 * settings.parallelism) {
    throw new Error(
      `hashers.argon2.memory must be at least ${8 * settings.parallelism}KB for parallelism ${settings.parallelism}`,
    );
  }
  const params = `m=${memoryKiB},t=${settings.iterations},p=${settings.parallelism}`;
  return async (password) => {
    const salt = randomBytes(settings.salt_length);
    const key = await argon2.hashRaw(password, {
      algorithm: ARGON2ID,
      memoryCost: memoryKiB,
      timeCost: settings.iterations,
      parallelism: settings.parallelism,
      outputLen: settings.key_length,
      salt,
    });
    // Assembled by hand so the layout is exactly Kratos's `m=%d,t=%d,p=%d` whatever a library
    // writes: a database shared with (or migrated back to) Kratos stays readable.
    return `$argon2id$v=19$${params}$${unpaddedBase64(salt)}$${unpaddedBase64(key)}`;
  };
}

function isCurrentBcrypt({ cost }: HasherConfig["bcrypt"]): (storedHash: string) => boolean {
  return (storedHash) => {
    const parsed = parseHash(storedHash);
    return parsed === undefined || (parsed.family === "bcrypt" && parsed.cost === cost);
  };
}

function isCurrentArgon2(settings: HasherConfig["argon2"]): (storedHash: string) => boolean {
  const memoryKiB = parseMemoryKiB(settings.memory);
  return (storedHash) => {
    const parsed = parseHash(storedHash);
    // An unparseable hash never verifies, so there is never anything to rehash.
    if (parsed === undefined) return true;
    return (
      parsed.family === "argon2" &&
      parsed.variant === "argon2id" &&
      parsed.version === 0x13 &&
      parsed.memoryKiB === memoryKiB &&
      parsed.iterations === settings.iterations &&
      parsed.parallelism === settings.parallelism &&
      parsed.keyLength === settings.key_length
    );
  };
}

function randomBytes(length: number): Buffer {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(length)));
}

function randomBase64(length: number): string {
  return unpaddedBase64(randomBytes(length));
}

function unpaddedBase64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, "");
}
