import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSupportedHash } from "../../server/methods/password/hasher.ts";
import { parseImportedHash, verifyImportedHash } from "../../server/methods/password/imported-hashes.ts";
import { adminServer, loginNative, person, sdkError, wire } from "../admin/support.ts";
import { IMPORTED_HASH_VECTORS } from "./imported-hash-vectors.ts";

/**
 * sha-crypt at Kratos's vectors' rounds (535,000 and 656,000) costs seconds per verification, so
 * those two are verified once each, through sign-in; their wrong passwords are checked there too
 * after the re-hash.
 */
const SLOW = new Set(["sha256-crypt", "sha512-crypt"]);

describe("imported hash formats (Kratos's vectors)", () => {
  for (const vector of IMPORTED_HASH_VECTORS.filter((v) => !SLOW.has(v.format))) {
    test(`${vector.format}: the password verifies, another does not`, async () => {
      const parsed = parseImportedHash(vector.hash);
      assert.ok(parsed, "parses");
      assert.equal(await verifyImportedHash(vector.password, parsed), true);
      assert.equal(await verifyImportedHash(vector.wrong, parsed), false);
    });
  }

  test("malformed or out-of-bounds hashes are refused before any computing (Kratos's negative vectors)", () => {
    for (const hash of [
      "$pbkdf2-sha256$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
      "$pbkdf2-sha256$aaaa$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
      "$pbkdf2-sha512$I=100000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc",
      "$scrypt$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
      "$scrypt$ln=16385,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
      "$scrypt$ln=262144,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
      "$scrypt$ln=abc,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
      "{SSHA}tooshort",
      "$sha1$pf=$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
      "$sha1$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
      "$md5$$",
      "$md5$pf=MTIz$Z$",
      "$md5-crypt$whuMjZj.HMFoaTaZRRtkO0",
      "$sha256-crypt$$",
      "$sha512-crypt$rounds=5000000$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1",
      "$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=",
      "$hmac-invalid$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU=",
      "$unknown$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6",
    ]) {
      assert.equal(parseImportedHash(hash), undefined, hash);
      assert.equal(isSupportedHash(hash), false, hash);
    }
  });
});

test("each imported format signs in once, is replaced by the configured hasher, and signs in again", async (t) => {
  const { server, api } = await adminServer(t);
  for (const [index, vector] of IMPORTED_HASH_VECTORS.entries()) {
    const email = `imported-${index}@example.org`;
    const created = await api.createIdentity({
      createIdentityBody: {
        ...person(email),
        credentials: { password: { config: { hashed_password: vector.hash } } },
      },
    });
    if (!SLOW.has(vector.format)) {
      const wrong = await loginNative(server, email, vector.wrong);
      assert.equal(wrong.status, 400, `${vector.format}: a wrong password is refused`);
    }

    const first = await loginNative(server, email, vector.password);
    assert.equal(first.status, 200, `${vector.format}: ${JSON.stringify(first.body)}`);
    const { json } = await wire(
      await api.getIdentityRaw({ id: created.id, includeCredential: ["password"] }),
      "identity",
    );
    const stored = (json.credentials as { password: { config: { hashed_password: string } } }).password.config
      .hashed_password;
    assert.match(
      stored,
      /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/,
      `${vector.format} was re-hashed with argon2id`,
    );

    const again = await loginNative(server, email, vector.password);
    assert.equal(again.status, 200, `${vector.format}: signs in with the new hash`);
    assert.equal((await loginNative(server, email, vector.wrong)).status, 400);
  }
});

test("an import of a hash in no known format is refused with 400 and nothing is created", async (t) => {
  const { api } = await adminServer(t);
  const body = await sdkError(
    api.createIdentity({
      createIdentityBody: {
        ...person("nobody@example.org"),
        credentials: { password: { config: { hashed_password: "$md5$pf=MTIz$Z$" } } },
      },
    }),
    400,
  );
  assert.match(body.error.reason ?? "", /hashed_password is not in a supported format/);
  assert.deepEqual(await api.listIdentities({}), []);
});
