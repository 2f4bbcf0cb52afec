import assert from "node:assert/strict";
import { test } from "node:test";
import { csrfOf } from "../helpers/http.ts";
import { latestMail } from "../helpers/outbox.ts";
import { CookieJar, client } from "../trpc/support.ts";
import { enabledServer, registered } from "./support.ts";

test("tRPC: verification and recovery behave as REST (browser flows with cookies, SPA style)", async (t) => {
  const s = await enabledServer(t, { feature_flags: { use_continue_with_transitions: true } });
  const { identityId } = await registered(s, "ada@example.com");
  const jar = new CookieJar();
  const trpc = client(s, { jar });

  const vf = await trpc.verification.create.mutate({ type: "browser" });
  const csrf = csrfOf(vf as never);
  const sent = await trpc.verification.submit.mutate({
    flow: vf.id,
    body: { method: "code", email: "ada@example.com", csrf_token: csrf },
  });
  assert.equal(sent.status, "form");
  const code = (await latestMail(s.store, "ada@example.com", "verification_code.valid")).code!;
  const done = await trpc.verification.submit.mutate({
    flow: vf.id,
    body: { method: "code", code, csrf_token: csrf },
  });
  assert.equal(done.status, "form");
  assert.equal(done.status === "form" && done.flow.state, "passed_challenge");
  assert.equal((await s.store.getIdentity(identityId))!.verifiableAddresses[0]!.verified, true);

  s.clock.advance(1000);
  const rf = await trpc.recovery.create.mutate({ type: "browser" });
  const rcsrf = csrfOf(rf as never);
  await trpc.recovery.submit.mutate({
    flow: rf.id,
    body: { method: "code", email: "ada@example.com", csrf_token: rcsrf },
  });
  const rcode = (await latestMail(s.store, "ada@example.com", "recovery_code.valid")).code!;
  const recovered = await trpc.recovery.submit.mutate({
    flow: rf.id,
    body: { method: "code", code: rcode, csrf_token: rcsrf },
  });
  assert.equal(recovered.status, "success");
  assert.ok(
    recovered.status === "success" && recovered.continue_with?.some((c) => c.action === "show_settings_ui"),
  );
  const me = await trpc.session.whoami.query();
  assert.equal(me.identity?.id, identityId);
});
