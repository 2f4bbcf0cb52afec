import assert from "node:assert/strict";
import { test } from "node:test";
import { bodyOf, CookieJar, globalMessageIds, jsonBody, url } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { latestMail } from "../helpers/outbox.ts";
import { enabledServer, registered } from "./support.ts";

const LINK = {
  selfservice: {
    methods: { link: { enabled: true } },
    flows: { verification: { use: "link" as const }, recovery: { use: "link" as const } },
  },
};

test("link method: the mailed verification link verifies and lands on the verification UI", async (t) => {
  const s = await enabledServer(t, LINK);
  const { identityId } = await registered(s, "ada@example.com");
  const flow = await bodyOf(await fetch(url(s, "/self-service/verification/api")));
  assert.equal((flow.ui as { nodes: { group: string }[] }).nodes[1]!.group, "link");
  const sent = await fetch(
    url(s, `/self-service/verification?flow=${flow.id}`),
    jsonBody({ method: "link", email: "ada@example.com" }),
  );
  const sentFlow = await bodyOf(sent);
  assertSchema("verificationFlow", sentFlow);
  assert.deepEqual(globalMessageIds(sentFlow), [1080001]);
  const mail = await latestMail(s.store, "ada@example.com", "verification.valid");
  assert.ok(mail.link);
  assert.match(mail.link, /token=/);

  // A wrong token: a new flow with 4070001.
  const bad = new URL(mail.link);
  bad.searchParams.set("token", "x".repeat(32));
  const refused = await fetch(bad, { redirect: "manual" });
  assert.equal(refused.status, 303);
  const jar = new CookieJar();
  const ok = await jar.fetch(mail.link);
  assert.equal(ok.status, 303);
  assert.match(ok.headers.get("location")!, /\/ui\/verification\?flow=/);
  assert.equal((await s.store.getIdentity(identityId))!.verifiableAddresses[0]!.verified, true);
  // Used: the link does not work twice.
  const again = await fetch(mail.link, { redirect: "manual" });
  assert.equal(again.status, 303);
  const next = new URL(again.headers.get("location")!).searchParams.get("flow");
  assert.notEqual(next, flow.id);
});

test("link method: the recovery link signs in and opens the settings UI", async (t) => {
  const s = await enabledServer(t, LINK);
  await registered(s, "ada@example.com");
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/recovery/browser"));
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const flow = await bodyOf(await jar.fetch(url(s, `/self-service/recovery/flows?id=${flowId}`)));
  const csrf = String(
    (flow.ui as { nodes: { attributes: { name: string; value?: string } }[] }).nodes[0]!.attributes.value,
  );
  await jar.fetch(url(s, `/self-service/recovery?flow=${flowId}`), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ method: "link", email: "ada@example.com", csrf_token: csrf }).toString(),
  });
  const mail = await latestMail(s.store, "ada@example.com", "recovery.valid");
  assert.ok(mail.link);
  const res = await jar.fetch(mail.link);
  assert.equal(res.status, 303);
  assert.match(res.headers.get("location")!, /\/ui\/settings\?flow=/);
  assert.ok(jar.cookies.has("ory_kratos_session"));
});
