import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { test } from "node:test";
import { CipherError, createCipher } from "../../server/crypto/cipher.ts";
import { evaluateMapper, MapperError, usesImport } from "../../server/methods/oidc/mapper.ts";
import { jsonnetSkip } from "./support.ts";

const KEY = "0123456789abcdef0123456789abcdef";

test("ciphers round-trip and use Kratos's encodings", () => {
  assert.equal(createCipher("noop", []).encrypt("hi"), "6869");
  assert.equal(createCipher("noop", []).decrypt("6869"), "hi");
  for (const algorithm of ["aes", "xchacha20-poly1305"] as const) {
    const c = createCipher(algorithm, [KEY]);
    const sealed = c.encrypt("token");
    assert.match(sealed, /^[0-9a-f]+$/);
    assert.equal(c.decrypt(sealed), "token");
    assert.equal(c.encrypt(""), "");
    // Rotation: a new first key still opens what the old one sealed.
    assert.equal(createCipher(algorithm, ["f".repeat(32), KEY]).decrypt(sealed), "token");
    assert.throws(() => createCipher(algorithm, ["f".repeat(32)]).decrypt(sealed), CipherError);
    assert.throws(() => c.decrypt("zz"), CipherError);
    assert.throws(() => createCipher(algorithm, []).encrypt("x"), CipherError);
  }
  // AES-256-GCM as Go's NewGCMWithRandomNonce writes it: hex(nonce | ciphertext | tag).
  const nonce = Buffer.alloc(12, 7);
  const gcm = createCipheriv("aes-256-gcm", Buffer.from(KEY), nonce);
  const go = Buffer.concat([nonce, gcm.update("from kratos"), gcm.final(), gcm.getAuthTag()]).toString("hex");
  assert.equal(createCipher("aes", [KEY]).decrypt(go), "from kratos");
});

test("the mapper refuses imports by a lexical check that skips strings and comments", () => {
  assert.equal(usesImport("local x = import 'a.libsonnet'; x"), true);
  assert.equal(usesImport('{ a: importstr "f" }'), true);
  assert.equal(usesImport("{ a: importbin 'f' }"), true);
  assert.equal(
    usesImport(
      "// import 'x'\n# importstr\n/* importbin */ { s: 'import', t: @'import''s', u: |||\n  import\n|||, importer: 1 }",
    ),
    false,
  );
});

test("the mapper runs jsonnet with the claims and checks its result", { skip: jsonnetSkip }, async () => {
  const mapped = await evaluateMapper(
    "local c = std.extVar('claims'); { identity: { traits: { email: c.email }, metadata_admin: { sub: c.sub }, verified_addresses: [{ via: 'email', value: c.email }] } }",
    { email: "a@example.com", sub: "s1" },
  );
  assert.deepEqual(mapped, {
    traits: { email: "a@example.com" },
    metadataAdmin: { sub: "s1" },
    verifiedAddresses: [{ via: "email", value: "a@example.com" }],
  });
  await assert.rejects(evaluateMapper("{ x: 1 }", {}), /must return an object with an identity key/);
  await assert.rejects(evaluateMapper("{ identity: { traits: [] } }", {}), MapperError);
  await assert.rejects(evaluateMapper("std.native('x')", {}), MapperError);
  await assert.rejects(evaluateMapper("local f(x) = f(x) + 1; f(1)", {}, 3000), MapperError);
  // An endless computation is stopped by the time limit.
  await assert.rejects(
    evaluateMapper("local loop(n) = if n < 0 then 0 else loop(n + 1) tailstrict; loop(0)", {}, 300),
    /took too long/,
  );
});
