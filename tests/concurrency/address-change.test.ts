/**
 * A held address change applies on the identity's current state, checked against its version
 * (docs/account-features.md, "Pending address changes"): a profile edit decided on the identity
 * before the change applied is refused when it arrives after, so it cannot put the old address
 * back, and the edit's other fields are not half-written.
 */
import assert from "node:assert/strict";
import { latestMail } from "../helpers/outbox.ts";
import {
  apiFlow,
  call,
  createUser,
  heldPost,
  login,
  messageIds,
  onEachBackend,
  startServer,
  submitSettings,
} from "./harness.ts";

const HOOKS = {
  selfservice: {
    flows: {
      verification: { enabled: true },
      settings: { after: { profile: { hooks: [{ hook: "verify_new_address" as const }] } } },
    },
  },
};

onEachBackend(
  "a profile edit decided before a held change applied does not revert it",
  async (backend, t) => {
    const s = await startServer(t, backend, HOOKS);
    const user = await createUser(s);
    const token = await login(s, user.email);
    const newEmail = `new-${user.email}`;
    const held = await submitSettings(s, token, await apiFlow(s, "settings", token), {
      method: "profile",
      traits: { email: newEmail, name: { first: "Ada", last: "Lovelace" } },
    });
    assert.equal(held.status, 200, JSON.stringify(held.body));
    const verificationFlow = (held.body.continue_with as { flow: { id: string } }[])[0]!.flow.id;

    // A profile edit loads the identity (old address) and waits for its body.
    const settingsFlow = await apiFlow(s, "settings", token);
    const lookedUp = s.sessionLookedUp(token);
    const edit = heldPost(new URL(`self-service/settings?flow=${settingsFlow}`, s.publicUrl), token, {
      method: "profile",
      traits: { email: user.email, name: { first: "Countess", last: "Lovelace" } },
    });
    await lookedUp;

    // Meanwhile the new address is verified and the change applies.
    const code = (await latestMail(s.store, newEmail, "verification_code.valid")).code;
    const passed = await call(s.publicUrl, "POST", `self-service/verification?flow=${verificationFlow}`, {
      body: { method: "code", code },
    });
    assert.equal(passed.body.state, "passed_challenge", JSON.stringify(passed.body));
    assert.equal((await s.store.getIdentity(user.id))!.traits.email, newEmail);

    edit.finish();
    const answer = await edit.answer;
    const body = (await answer.json()) as Record<string, unknown>;
    assert.equal(answer.status, 400, JSON.stringify(body));
    assert.deepEqual(messageIds(body), [4000001], "changed while the form was open");
    const identity = (await s.store.getIdentity(user.id))!;
    assert.equal(identity.traits.email, newEmail, "the applied change stays");
    assert.deepEqual(identity.traits.name, { first: "Ada", last: "Lovelace" });
    assert.equal(await s.store.pendingAddressChange(user.id), undefined);
  },
);
