import assert from "node:assert/strict";
import { snapshot } from "./helpers.ts";
import { defineMatrix } from "./matrix.ts";

// Contract §4.4.2 for the profile method: every row, for browsers, SPAs and native apps.
defineMatrix({
  method: "profile",
  success: (a) => ({
    method: "profile",
    traits: { email: a.email, name: { first: "Grace", last: "Hopper" } },
  }),
  async applied(s, a, before) {
    const now = await snapshot(s, a.identityId);
    assert.deepEqual(now.traits, { email: a.email, name: { first: "Grace", last: "Hopper" } });
    assert.equal(now.hash, before.hash, "the password is untouched by a profile change");
  },
  invalid: () => ({ method: "profile", traits: { email: "not-an-email", name: { first: "Grace" } } }),
  invalidMessage: { node: "traits.email", id: 4000040 },
  // A new login identifier is a protected change (§5.3 step 6).
  privileged: () => ({ method: "profile", traits: { email: "ada.new@example.com" } }),
  disabled: { selfservice: { methods: { profile: { enabled: false } } } },
});
