import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as argon2 from "argon2";
import bcrypt from "bcrypt";
import {
  BCRYPT_MAX_BYTES,
  createHasher,
  dummyVerify,
  type HasherConfig,
  isSupportedHash,
  PasswordTooLongError,
} from "../../server/methods/password/hasher.ts";
import { parseMemoryKiB } from "../../server/methods/password/memory-size.ts";

// Low costs keep the suite fast; the formats and code paths are the same as in production.
function hasherConfig(algorithm: HasherConfig["algorithm"], argon2Memory = "8MB"): HasherConfig {
  return {
    algorithm,
    argon2: { memory: argon2Memory, iterations: 1, parallelism: 1, salt_length: 16, key_length: 32 },
    bcrypt: { cost: 4 },
  };
}

const argon2Hasher = createHasher(hasherConfig("argon2"));
const bcryptHasher = createHasher(hasherConfig("bcrypt"));

describe("argon2id hashing", () => {
  test("round trip, in the PHC layout Kratos writes (m,t,p)", async () => {
    const hash = await argon2Hasher.hash("correct horse battery staple");
    assert.match(hash, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await argon2Hasher.verify("correct horse battery staple", hash), true);
    assert.equal(await argon2Hasher.verify("correct horse battery stapler", hash), false);
  });

  test("salts every hash", async () => {
    const [first, second] = await Promise.all([argon2Hasher.hash("same"), argon2Hasher.hash("same")]);
    assert.notEqual(first, second);
  });

  test("salt and key length follow the config", async () => {
    const hasher = createHasher({
      ...hasherConfig("argon2"),
      argon2: { memory: "8MB", iterations: 2, parallelism: 2, salt_length: 32, key_length: 64 },
    });
    const hash = await hasher.hash("secret-password");
    const [, , , params, salt, key] = hash.split("$");
    assert.equal(params, "m=8192,t=2,p=2");
    assert.equal(Buffer.from(salt!, "base64").length, 32);
    assert.equal(Buffer.from(key!, "base64").length, 64);
    assert.equal(await hasher.verify("secret-password", hash), true);
  });

  test("has no length limit", async () => {
    assert.equal(argon2Hasher.maxBytes, undefined);
    const long = "x".repeat(500);
    assert.equal(await argon2Hasher.verify(long, await argon2Hasher.hash(long)), true);
    assert.equal(await argon2Hasher.verify(`${long}y`, await argon2Hasher.hash(long)), false);
  });
});

describe("bcrypt hashing", () => {
  test("round trip, written as $2a$ like Go's bcrypt", async () => {
    const hash = await bcryptHasher.hash("correct horse battery staple");
    assert.match(hash, /^\$2a\$04\$[./A-Za-z0-9]{53}$/);
    assert.equal(await bcryptHasher.verify("correct horse battery staple", hash), true);
    assert.equal(await bcryptHasher.verify("Correct horse battery staple", hash), false);
  });

  test("maxBytes is 72 and longer passwords are refused rather than truncated", async () => {
    assert.equal(bcryptHasher.maxBytes, 72);
    assert.equal(BCRYPT_MAX_BYTES, 72);
    const exactly72Bytes = "ä".repeat(36);
    assert.equal(await bcryptHasher.verify(exactly72Bytes, await bcryptHasher.hash(exactly72Bytes)), true);
    await assert.rejects(bcryptHasher.hash(`${exactly72Bytes}a`), (error: unknown) => {
      assert.ok(error instanceof PasswordTooLongError);
      assert.equal(error.maxBytes, 72);
      assert.equal(error.actualBytes, 73);
      return true;
    });
  });
});

describe("verification of hashes from elsewhere", () => {
  test("either hasher verifies the other family's hashes", async () => {
    const fromArgon2 = await argon2Hasher.hash("cross-family");
    const fromBcrypt = await bcryptHasher.hash("cross-family");
    assert.equal(await bcryptHasher.verify("cross-family", fromArgon2), true);
    assert.equal(await argon2Hasher.verify("cross-family", fromBcrypt), true);
  });

  test("an imported bcrypt hash ($2b$ from node's bcrypt) and its $2a$/$2y$ spellings", async () => {
    const imported = bcrypt.hashSync("imported-secret", 4);
    assert.match(imported, /^\$2b\$04\$/);
    const body = imported.slice(4);
    for (const hash of [imported, `$2a$${body}`, `$2y$${body}`]) {
      assert.equal(isSupportedHash(hash), true, hash);
      assert.equal(await argon2Hasher.verify("imported-secret", hash), true, hash);
      assert.equal(await argon2Hasher.verify("imported-secreT", hash), false, hash);
    }
  });

  test("imported argon2i and argon2id PHC hashes, whatever their parameter order", async () => {
    const options = { memoryCost: 4096, timeCost: 2, parallelism: 1 };
    const argon2i = await argon2.hash("imported-secret", { ...options, type: argon2.argon2i });
    const argon2id = await argon2.hash("imported-secret", { ...options, type: argon2.argon2id });
    assert.match(argon2i, /^\$argon2i\$v=19\$m=4096,p=1,t=2\$/); // the library's own order
    for (const hash of [argon2i, argon2id]) {
      assert.equal(isSupportedHash(hash), true, hash);
      assert.equal(await bcryptHasher.verify("imported-secret", hash), true, hash);
      assert.equal(await bcryptHasher.verify("imported-secreT", hash), false, hash);
    }
  });

  test("hashes of the C binding (the `argon2` package) verify, and the binding verifies ours", async () => {
    const theirs = await argon2.hash("both-ways", {
      type: argon2.argon2id,
      memoryCost: 8192,
      timeCost: 1,
      parallelism: 1,
    });
    assert.equal(await argon2Hasher.verify("both-ways", theirs), true);
    assert.equal(await argon2Hasher.verify("both-wayz", theirs), false);
    const ours = await argon2Hasher.hash("both-ways");
    assert.equal(await argon2.verify(ours, "both-ways"), true);
    assert.equal(await argon2.verify(ours, "both-wayz"), false);
  });

  test("a legacy argon2 v=16 hash, also without its version segment", async () => {
    const hash = await argon2.hash("old-secret", {
      type: argon2.argon2i,
      memoryCost: 4096,
      timeCost: 1,
      parallelism: 1,
      version: 0x10,
    });
    assert.match(hash, /\$v=16\$/);
    const withoutVersion = hash.replace("$v=16", "");
    for (const stored of [hash, withoutVersion]) {
      assert.equal(isSupportedHash(stored), true);
      assert.equal(await argon2Hasher.verify("old-secret", stored), true);
    }
  });

  test("malformed or unknown hashes verify false and never throw", async () => {
    const valid = bcrypt.hashSync("x", 4);
    const malformed = [
      "",
      "plaintext",
      "$2b$04$short",
      `$2x$${valid.slice(4)}`, // the buggy pre-2011 variant
      `$2b$03$${valid.slice(7)}`, // cost below bcrypt's minimum
      "$argon2id$v=19$m=8,t=1,p=1$xx$yy", // key too short for argon2
      "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0", // no key
      "$argon2id$v=18$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5", // unknown version
      "$argon2id$v=19$m=8192,t=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5", // no p
      "$argon2id$v=19$m=8192,t=1,p=1,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5", // p twice
      "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5!",
      "$argon2x$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
      "$pbkdf2-sha256$i=0,l=32$c2FsdA$a2V5", // no iterations (pbkdf2 itself is a Kratos import format)
      "$1$saltsalt$hashhashhashhashhashha",
    ];
    for (const hash of malformed) {
      assert.equal(isSupportedHash(hash), false, hash);
      assert.equal(await argon2Hasher.verify("x", hash), false, hash);
      assert.equal(await bcryptHasher.verify("x", hash), false, hash);
    }
  });

  test("a well-formed hash the library still refuses verifies false", async () => {
    // Passes the format check (8-byte salt, 4-byte key) yet is nothing argon2 ever produced.
    const hash = "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$a2V5aw";
    assert.equal(isSupportedHash(hash), true);
    assert.equal(await argon2Hasher.verify("x", hash), false);
  });
});

describe("rehash decision", () => {
  test("a hash of the configured algorithm and costs needs none", async () => {
    assert.equal(argon2Hasher.needsRehash(await argon2Hasher.hash("a-password")), false);
    assert.equal(bcryptHasher.needsRehash(await bcryptHasher.hash("a-password")), false);
  });

  test("another family or other costs do", async () => {
    assert.equal(argon2Hasher.needsRehash(await bcryptHasher.hash("a-password")), true);
    assert.equal(bcryptHasher.needsRehash(await argon2Hasher.hash("a-password")), true);
    assert.equal(bcryptHasher.needsRehash(bcrypt.hashSync("a-password", 5)), true);
    const stronger = createHasher(hasherConfig("argon2", "16MB"));
    assert.equal(stronger.needsRehash(await argon2Hasher.hash("a-password")), true);
    const argon2i = await argon2.hash("a-password", {
      type: argon2.argon2i,
      memoryCost: 8192,
      timeCost: 1,
      parallelism: 1,
    });
    assert.equal(argon2Hasher.needsRehash(argon2i), true);
  });

  test("an unusable hash never asks for a rehash (it cannot have verified)", () => {
    assert.equal(argon2Hasher.needsRehash("garbage"), false);
    assert.equal(bcryptHasher.needsRehash("garbage"), false);
  });
});

describe("dummy verification for unknown identifiers", () => {
  test("answers false", async () => {
    assert.equal(await argon2Hasher.dummyVerify("whatever"), false);
    assert.equal(await bcryptHasher.dummyVerify("whatever"), false);
    assert.equal(await dummyVerify("whatever", bcryptHasher), false);
  });

  test("costs about what a real verification costs", async () => {
    // Costs high enough that the hash dominates the measurement, and medians to damp scheduling noise.
    const hasher = createHasher({
      ...hasherConfig("argon2"),
      argon2: { memory: "16MB", iterations: 3, parallelism: 1, salt_length: 16, key_length: 32 },
    });
    const stored = await hasher.hash("the real password");
    await hasher.dummyVerify("warm-up"); // the first call also builds the dummy hash
    const real = await medianMs(() => hasher.verify("a wrong guess", stored));
    const dummy = await medianMs(() => hasher.dummyVerify("a wrong guess"));
    assert.ok(dummy > real / 3 && dummy < real * 3, `dummy ${dummy} ms vs real ${real} ms`);
  });
});

describe("configuration", () => {
  test("argon2 memory sizes read as binary multiples, in KiB", () => {
    assert.equal(parseMemoryKiB("64MB"), 65536);
    assert.equal(parseMemoryKiB("128MB"), 131072);
    assert.equal(parseMemoryKiB("128MiB"), 131072);
    assert.equal(parseMemoryKiB("8192KB"), 8192);
    assert.equal(parseMemoryKiB("1GB"), 1048576);
    assert.equal(parseMemoryKiB(" 64 mb "), 65536);
    assert.equal(parseMemoryKiB("1048576"), 1024); // bare number: bytes
    assert.throws(() => parseMemoryKiB("lots"), /hashers\.argon2\.memory/);
    assert.throws(() => parseMemoryKiB("64XB"), /hashers\.argon2\.memory/);
  });

  test("an argon2 memory below 8 KiB per lane is refused at creation", () => {
    assert.throws(
      () =>
        createHasher({
          ...hasherConfig("argon2"),
          argon2: { memory: "16KB", iterations: 1, parallelism: 4, salt_length: 16, key_length: 32 },
        }),
      /at least 32KB/,
    );
  });
});

async function medianMs(run: () => Promise<unknown>, rounds = 7): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(rounds / 2)]!;
}
