import assert from "node:assert/strict";
import { test } from "node:test";
import { apiFlow, registerApi, snapshot } from "../settings/helpers.ts";
import { adminUrl, deepJson, errorLines, jsonOf, loggedServer, publicUrl, sendJson } from "./support.ts";

// An identity already holding hostile data (stored before the body bounds existed, or written
// straight into the database) still renders everywhere, and its owner can repair it.

/** A value nested `depth` levels deep, built without recursion. */
function deepValue(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

/** How deep the stored data is: what the bricking bug managed to save through a settings submit. */
const STORED_DEPTH = 4_000;

test("an identity with deeply nested stored traits and metadata renders its settings flow and whoami", async (t) => {
  const { s, log } = await loggedServer(t);
  const user = await registerApi(s);
  const stored = (await s.store.getIdentity(user.identityId))!;
  await s.store.updateIdentity({
    ...stored,
    traits: { ...(stored.traits as object), name: deepValue(STORED_DEPTH) },
    metadataPublic: deepValue(STORED_DEPTH),
    metadataAdmin: deepValue(STORED_DEPTH),
  });

  const whoami = await fetch(publicUrl(s, "/sessions/whoami"), {
    headers: { "x-session-token": user.token },
  });
  assert.equal(whoami.status, 200);
  const session = await jsonOf(whoami);
  assert.equal((session.identity as { id: string }).id, user.identityId);

  const admin = await fetch(adminUrl(s, `/admin/identities/${user.identityId}`));
  assert.equal(admin.status, 200);
  await jsonOf(admin);

  // The settings flow renders (the deep trait becomes one input named traits.name.a.a…), and a
  // profile update replaces the hostile value: the account repairs itself.
  const flow = await apiFlow(s, user.token);
  const res = await sendJson(
    publicUrl(s, `/self-service/settings?flow=${flow.id}`),
    JSON.stringify({ method: "profile", traits: { email: "ada@example.com", name: { first: "Ada" } } }),
    { headers: { "x-session-token": user.token } },
  );
  assert.equal(res.status, 200, (await res.clone().text()).slice(0, 500));
  assert.deepEqual((await snapshot(s, user.identityId)).traits, {
    email: "ada@example.com",
    name: { first: "Ada" },
  });
  assert.deepEqual(errorLines(log), []);
});

test("the bricking submission (traits.name 4,000 deep) is refused and writes nothing", async (t) => {
  const { s, log } = await loggedServer(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  const res = await sendJson(
    publicUrl(s, `/self-service/settings?flow=${flow.id}`),
    `{"method":"profile","traits":{"email":"ada@example.com","name":${deepJson(STORED_DEPTH, "object")}}}`,
    { headers: { "x-session-token": user.token } },
  );
  assert.equal(res.status, 400);
  assert.deepEqual(await snapshot(s, user.identityId), before);
  // Every settings flow of the account still works.
  const again = await fetch(publicUrl(s, "/self-service/settings/api"), {
    headers: { "x-session-token": user.token },
  });
  assert.equal(again.status, 200);
  assert.deepEqual(errorLines(log), []);
});
