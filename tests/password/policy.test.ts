import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import {
  checkMaxLength,
  createPasswordPolicy,
  type PasswordPolicyConfig,
} from "../../server/methods/password/policy.ts";

/** Only the checks a test names are on; the breach check lives in breach.test.ts. */
function policy(overrides: Partial<PasswordPolicyConfig> = {}) {
  const config: PasswordPolicyConfig = {
    min_password_length: 8,
    identifier_similarity_check_enabled: true,
    haveibeenpwned_enabled: false,
    haveibeenpwned_host: "api.pwnedpasswords.com",
    max_breaches: 0,
    ignore_network_errors: true,
    common_passwords_check_enabled: false,
    ...overrides,
  };
  return createPasswordPolicy(config, { clock: new ManualClock(0) });
}

const TOO_SIMILAR = {
  id: 4000031,
  text: "The password can not be used because it is too similar to the identifier.",
  type: "error",
};

describe("minimum length", () => {
  test("too short: 4000032 with the lengths in text and context", async () => {
    assert.deepEqual(await policy().check("abcdef", []), {
      id: 4000032,
      text: "The password must be at least 8 characters long, but got 6.",
      type: "error",
      context: { min_length: 8, actual_length: 6 },
    });
  });

  test("counts UTF-8 bytes, not characters", async () => {
    assert.equal(await policy().check("ääää", []), undefined); // 4 characters, 8 bytes
    assert.equal(await policy().check("😀😀", []), undefined); // 2 emoji, 8 bytes
    assert.deepEqual((await policy().check("äää", []))?.context, { min_length: 8, actual_length: 6 });
  });

  test("follows the configured minimum", async () => {
    const strict = policy({ min_password_length: 12 });
    assert.equal(
      (await strict.check("elevenchars", []))?.text,
      "The password must be at least 12 characters long, but got 11.",
    );
    assert.equal(await strict.check("twelve chars", []), undefined);
  });
});

describe("similarity to the identifier", () => {
  test("one edit away from the email: 4000031", async () => {
    assert.deepEqual(await policy().check("alice@example.co", ["alice@example.com"]), TOO_SIMILAR);
  });

  test("compares case-insensitively", async () => {
    assert.deepEqual(await policy().check("ALICE@Example.CO", ["alice@example.com"]), TOO_SIMILAR);
  });

  test("a long shared run is too similar even when many edits apart", async () => {
    // 6 edits away, but "example.org" covers 11 of the password's 13 bytes.
    assert.deepEqual(await policy().check("example.org!!", ["bob@example.org"]), TOO_SIMILAR);
  });

  test("a short shared run is fine", async () => {
    // Shares "example" (7 of 18 bytes) and is far more than 5 edits away.
    assert.equal(await policy().check("my example of zest", ["bob@example.org"]), undefined);
    assert.equal(await policy().check("correct horse battery staple", ["alice@example.com"]), undefined);
  });

  test("every identifier is checked", async () => {
    assert.deepEqual(
      await policy().check("alice-the-great", ["someone@example.org", "alice-the-great1"]),
      TOO_SIMILAR,
    );
  });

  test("skipped when disabled, for empty identifiers and beyond 256 bytes", async () => {
    const longIdentifier = `${"a".repeat(250)}@example.org`;
    assert.equal(
      await policy({ identifier_similarity_check_enabled: false }).check("alice@example.co", [
        "alice@example.com",
      ]),
      undefined,
    );
    assert.equal(await policy().check("abcdefgh", [""]), undefined);
    assert.equal(await policy().check(`${longIdentifier}x`, [longIdentifier]), undefined);
  });

  test("edits are counted in characters, not UTF-16 units", async () => {
    // Four letters replaced by emoji: 4 edits (too similar), though 8 in UTF-16 units, and no
    // shared run long enough to decide it either way.
    assert.deepEqual(await policy().check("a😀c😀e😀g😀", ["abcdefgh"]), TOO_SIMILAR);
  });

  test("length is checked before similarity", async () => {
    assert.equal((await policy().check("alice", ["alice"]))?.id, 4000032);
  });
});

describe("common passwords (offline list)", () => {
  const COMMON = {
    id: 4000005,
    text: "The password can not be used because it is among the most commonly used passwords.",
    type: "error",
    context: { reason: "it is among the most commonly used passwords" },
  };

  test("a listed password: 4000005 with the reason", async () => {
    const checked = policy({ common_passwords_check_enabled: true });
    assert.deepEqual(await checked.check("password1", []), COMMON);
    assert.deepEqual(await checked.check("12345678", []), COMMON);
  });

  test("case does not help", async () => {
    assert.deepEqual(await policy({ common_passwords_check_enabled: true }).check("PassWord1", []), COMMON);
  });

  test("an unlisted password passes, and the check can be switched off", async () => {
    assert.equal(
      await policy({ common_passwords_check_enabled: true }).check("tessera-is-fine-42", []),
      undefined,
    );
    assert.equal(await policy({ common_passwords_check_enabled: false }).check("password1", []), undefined);
  });

  test("similarity is checked before the list", async () => {
    const checked = policy({ common_passwords_check_enabled: true });
    assert.equal((await checked.check("password1", ["password"]))?.id, 4000031);
  });
});

describe("maximum length for the hasher", () => {
  test("beyond bcrypt's 72 bytes: 4000033", () => {
    assert.deepEqual(checkMaxLength("a".repeat(80), { maxBytes: 72 }), {
      id: 4000033,
      text: "The password must be at most 72 characters long, but got 80.",
      type: "error",
      context: { max_length: 72, actual_length: 80 },
    });
  });

  test("counted in bytes; no limit without maxBytes", () => {
    assert.equal(checkMaxLength("ä".repeat(36), { maxBytes: 72 }), undefined);
    assert.equal(checkMaxLength("ä".repeat(37), { maxBytes: 72 })?.context?.actual_length, 74);
    assert.equal(checkMaxLength("a".repeat(1000), { maxBytes: undefined }), undefined);
  });
});
