import assert from "node:assert/strict";
import { canLogin, NEW_PASSWORD, PASSWORD, snapshot } from "./helpers.ts";
import { defineMatrix } from "./matrix.ts";

// Contract §4.4.2 for the password method: every row, for browsers, SPAs and native apps.
defineMatrix({
  method: "password",
  success: () => ({ method: "password", password: NEW_PASSWORD }),
  async applied(s, a, before) {
    const now = await snapshot(s, a.identityId);
    assert.notEqual(now.hash, before.hash, "a new hash is stored");
    assert.deepEqual(now.traits, before.traits, "traits untouched by a password change");
    assert.equal(await canLogin(s, a.email, NEW_PASSWORD), true, "the new password signs in");
    assert.equal(await canLogin(s, a.email, PASSWORD), false, "the old one no longer does");
  },
  invalid: () => ({ method: "password", password: "short" }),
  invalidMessage: { node: "password", id: 4000032 },
  // The password method always needs a privileged session (§6.2 step 5).
  privileged: () => ({ method: "password", password: NEW_PASSWORD }),
  disabled: { selfservice: { methods: { password: { enabled: false } } } },
});
