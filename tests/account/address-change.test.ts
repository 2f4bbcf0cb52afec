import assert from "node:assert/strict";
import { test } from "node:test";
import { createTesseraClient } from "../../client/src/index.ts";
import type { ConfigInput } from "../../server/config/schema.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { allMails, latestMail, mailsTo } from "../helpers/outbox.ts";
import {
  apiFlow,
  bodyOf,
  browserLogin,
  canLogin,
  csrfOf,
  form,
  globalMessageIds,
  HOUR,
  JSON_ACCEPT,
  type Json,
  jsonBody,
  nodesOf,
  onlySchema,
  PASSWORD,
  postWithToken,
  registerApi,
  server,
  spaFlow,
  type TestServer,
  url,
} from "../settings/helpers.ts";
import { client } from "../trpc/support.ts";
import { HELD_ADDRESS_CHANGE_FLOWS } from "./support.ts";

// docs/account-features.md, "Pending address changes".

const HOOKS: ConfigInput = {
  selfservice: {
    flows: HELD_ADDRESS_CHANGE_FLOWS,
  },
};

const NAME = { first: "Ada", last: "Lovelace" };

async function changeEmail(s: TestServer, token: string, email: string, name = NAME) {
  const flow = await apiFlow(s, token);
  const res = await postWithToken(s, token, flow.id, { method: "profile", traits: { email, name } });
  return { res, body: await bodyOf(res), flowId: flow.id as string };
}

function pendingNode(flow: unknown) {
  return nodesOf(flow).find((n) => n.attributes.name === "cancel_pending_address");
}

async function verifyWithCode(s: TestServer, flowId: string, to: string) {
  const mail = await latestMail(s.store, to, "verification_code.valid");
  const res = await fetch(
    url(s, `/self-service/verification?flow=${flowId}`),
    jsonBody({ method: "code", code: mail.code }),
  );
  return bodyOf(res);
}

function revertLinkOf(body: string): string {
  const link = /https?:\/\/\S+\/self-service\/account\/address-change\/revert\?token=[A-Za-z0-9]+/.exec(
    body,
  )?.[0];
  assert.ok(link, `a revert link in:\n${body}`);
  return link;
}

async function historyTypes(s: TestServer, identityId: string): Promise<string[]> {
  return (await s.store.listSecurityEvents(identityId, { limit: 50 })).map((e) => e.type);
}

test("held change: old address stays, the flow shows it pending, the new address gets a code, the old a notice", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  s.clock.advance(1000);
  const { res, body } = await changeEmail(s, user.token, "ada@new.example", {
    first: "Augusta",
    last: "King",
  });
  assert.equal(res.status, 200, JSON.stringify(body));
  assertSchema("settingsFlow", body);
  assert.deepEqual(globalMessageIds(body), [1900002]);
  const cw = body.continue_with as { action: string; flow: { id: string; verifiable_address: string } }[];
  assert.equal(cw[0]?.action, "show_verification_ui");
  assert.equal(cw[0]?.flow.verifiable_address, "ada@new.example");
  // The rest of the edit is saved; the address is not.
  const identity = (await s.store.getIdentity(user.identityId))!;
  assert.equal(identity.traits.email, "ada@example.com");
  assert.deepEqual(identity.traits.name, { first: "Augusta", last: "King" });
  assert.ok(await canLogin(s, "ada@example.com", PASSWORD), "the old address still signs in");
  assert.ok(!(await canLogin(s, "ada@new.example", PASSWORD)));
  // The settings flow shows it, with its cancel button.
  const flow = await apiFlow(s, user.token);
  assertSchema("settingsFlow", flow);
  assert.deepEqual(globalMessageIds(flow), [1900002]);
  const cancel = pendingNode(flow);
  assert.equal(cancel?.group, "profile");
  assert.equal(cancel?.attributes.type, "submit");
  const names = nodesOf(flow).map((n) => n.attributes.name ?? n.attributes.id);
  const at = (name: string) => names.indexOf(name);
  assert.ok(at("traits.email") >= 0 && at("traits.email") < at("pending_address_change"));
  assert.ok(at("pending_address_change") < at("cancel_pending_address"), "the text, then its button");
  assert.ok(at("cancel_pending_address") < names.indexOf("method"), "before the profile's save button");
  // Mails: a code to the new address, the notice with a revert link to the old one.
  assert.ok((await latestMail(s.store, "ada@new.example", "verification_code.valid")).code);
  const notice = await mailsTo(s.store, "ada@example.com", "verifiable_address_changed");
  assert.equal(notice.length, 1);
  revertLinkOf(notice[0]!.body);
  const rest = await fetch(url(s, "/self-service/account/address-change"), {
    headers: { "x-session-token": user.token },
  });
  assert.equal(((await bodyOf(rest)).pending as Json).new_address, "ada@new.example");
  assert.ok((await historyTypes(s, user.identityId)).includes("address_change_requested"));
});

test("verifying the new address applies the change atomically: the old identifier goes, the new one is verified", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  s.clock.advance(1000);
  const { body } = await changeEmail(s, user.token, "ada@new.example");
  const vf = (body.continue_with as { flow: { id: string } }[])[0]!.flow.id;
  const passed = await verifyWithCode(s, vf, "ada@new.example");
  assert.equal(passed.state, "passed_challenge", JSON.stringify(passed));
  const identity = (await s.store.getIdentity(user.identityId))!;
  assert.equal(identity.traits.email, "ada@new.example");
  assert.deepEqual(
    identity.verifiableAddresses.map((a) => [a.value, a.verified]),
    [["ada@new.example", true]],
  );
  assert.ok(await canLogin(s, "ada@new.example", PASSWORD));
  assert.ok(!(await canLogin(s, "ada@example.com", PASSWORD)));
  assert.equal(pendingNode(await apiFlow(s, user.token)), undefined);
  assert.ok((await historyTypes(s, user.identityId)).includes("address_change_applied"));
});

test("a profile edit made while the change was pending is kept when it applies", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  const { body } = await changeEmail(s, user.token, "ada@new.example");
  const vf = (body.continue_with as { flow: { id: string } }[])[0]!.flow.id;
  const edit = await changeEmail(s, user.token, "ada@example.com", { first: "Countess", last: "Lovelace" });
  assert.equal(edit.res.status, 200);
  assert.equal((await verifyWithCode(s, vf, "ada@new.example")).state, "passed_challenge");
  const identity = (await s.store.getIdentity(user.identityId))!;
  assert.equal(identity.traits.email, "ada@new.example");
  assert.deepEqual(identity.traits.name, { first: "Countess", last: "Lovelace" });
});

test("cancelled from the settings flow (REST) and through tRPC: verifying afterwards changes nothing", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  const { body } = await changeEmail(s, user.token, "ada@new.example");
  const vf = (body.continue_with as { flow: { id: string } }[])[0]!.flow.id;
  const flow = await apiFlow(s, user.token);
  const res = await postWithToken(s, user.token, flow.id, {
    method: "profile",
    cancel_pending_address: pendingNode(flow)!.attributes.value,
  });
  const cancelled = await bodyOf(res);
  assert.equal(res.status, 200, JSON.stringify(cancelled));
  assertSchema("settingsFlow", cancelled);
  assert.deepEqual(globalMessageIds(cancelled), [1900004]);
  assert.equal(pendingNode(cancelled), undefined);
  const late = await verifyWithCode(s, vf, "ada@new.example");
  assert.notEqual(late.state, "passed_challenge");
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@example.com");
  assert.ok((await historyTypes(s, user.identityId)).includes("address_change_cancelled"));

  // tRPC: read and cancel.
  await changeEmail(s, user.token, "ada@other.example");
  const trpc = client(s, { sessionToken: user.token });
  assert.equal((await trpc.account.pendingAddressChange.query()).pending?.new_address, "ada@other.example");
  assert.deepEqual(await trpc.account.cancelPendingAddressChange.mutate(), { cancelled: true });
  assert.deepEqual(await trpc.account.pendingAddressChange.query(), { pending: null });
  assert.deepEqual(await trpc.account.cancelPendingAddressChange.mutate(), { cancelled: false });

  // The client package's helpers.
  await changeEmail(s, user.token, "ada@third.example");
  const tessera = createTesseraClient({ url: s.publicUrl, session: { token: () => user.token } });
  assert.equal((await tessera.account.pendingAddressChange())?.new_address, "ada@third.example");
  assert.equal(await tessera.account.cancelPendingAddressChange(), true);
  assert.equal(await tessera.account.pendingAddressChange(), null);
});

test("browser: the form post is sent to the verification UI; the settings page shows the pending change", async (t) => {
  const s = await server(t, HOOKS);
  await registerApi(s, "ada@example.com");
  const jar = await browserLogin(s, "ada@example.com");
  const flow = await spaFlow(s, jar);
  const res = await jar.fetch(
    url(s, `/self-service/settings?flow=${flow.id}`),
    form({
      method: "profile",
      csrf_token: csrfOf(flow as never),
      "traits.email": "ada@new.example",
      "traits.name.first": "Ada",
      "traits.name.last": "Lovelace",
    }),
  );
  assert.equal(res.status, 303);
  assert.equal(new URL(res.headers.get("location")!).pathname, "/ui/verification");
  const init = await jar.fetch(url(s, "/self-service/settings/browser"));
  const page = await jar.fetch(init.headers.get("location")!);
  const html = await page.text();
  assert.equal(page.status, 200);
  assert.match(html, /ada@new\.example/);
  assert.match(html, /name="cancel_pending_address"/);
  assert.match(html, /Cancel the change to ada@new\.example/);
  // The cancel button posts the profile form without `method` (a browser sends only the clicked button).
  const shown = await spaFlow(s, jar);
  const cancel = await jar.fetch(
    url(s, `/self-service/settings?flow=${shown.id}`),
    form({
      csrf_token: csrfOf(shown as never),
      "traits.email": "ada@example.com",
      "traits.name.first": "Ada",
      "traits.name.last": "Lovelace",
      cancel_pending_address: String(pendingNode(shown)!.attributes.value),
    }),
  );
  assert.equal(cancel.status, 303);
  const after = await bodyOf(
    await jar.fetch(url(s, `/self-service/settings/flows?id=${shown.id}`), { headers: JSON_ACCEPT }),
  );
  assert.deepEqual(globalMessageIds(after), [1900004]);
  assert.equal(pendingNode(after), undefined);
});

test("revert link before verification: GET only confirms, POST cancels; a used link is refused", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  await changeEmail(s, user.token, "ada@new.example");
  const link = revertLinkOf(
    (await latestMail(s.store, "ada@example.com", "verifiable_address_changed")).body,
  );
  const page = await fetch(link);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<form method="POST"/);
  assert.ok(await s.store.pendingAddressChange(user.identityId), "opening the link changes nothing");
  const token = new URL(link).searchParams.get("token")!;
  const done = await fetch(url(s, "/self-service/account/address-change/revert"), form({ token }));
  assert.equal(done.status, 200);
  assert.match(await done.text(), /data-message-id="1900004"/);
  assert.equal(await s.store.pendingAddressChange(user.identityId), undefined);
  const again = await fetch(url(s, "/self-service/account/address-change/revert"), jsonBody({ token }));
  assert.equal(again.status, 410);
  assert.equal(((await bodyOf(again)).error as Json).id, "address_change_revert_used");
  const againPage = await fetch(url(s, "/self-service/account/address-change/revert"), form({ token }));
  assert.equal(againPage.status, 410);
  assert.match(await againPage.text(), /data-message-id="4900004"/);
  assert.ok((await historyTypes(s, user.identityId)).includes("address_change_reverted"));
});

test("revert link after verification: the old address is back and every session ends", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  const other = await browserLogin(s, "ada@example.com");
  const { body } = await changeEmail(s, user.token, "ada@new.example");
  const vf = (body.continue_with as { flow: { id: string } }[])[0]!.flow.id;
  await verifyWithCode(s, vf, "ada@new.example");
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@new.example");
  const link = revertLinkOf(
    (await latestMail(s.store, "ada@example.com", "verifiable_address_changed")).body,
  );
  const token = new URL(link).searchParams.get("token")!;
  const state = await fetch(link, { headers: JSON_ACCEPT });
  assert.equal((await bodyOf(state)).state, "applied");
  const res = await fetch(url(s, "/self-service/account/address-change/revert"), jsonBody({ token }));
  const out = await bodyOf(res);
  assert.equal(res.status, 200, JSON.stringify(out));
  assert.equal(out.state, "reverted");
  const identity = (await s.store.getIdentity(user.identityId))!;
  assert.equal(identity.traits.email, "ada@example.com");
  assert.deepEqual(
    identity.verifiableAddresses.map((a) => [a.value, a.verified]),
    [["ada@example.com", true]],
  );
  assert.ok(await canLogin(s, "ada@example.com", PASSWORD));
  assert.ok(!(await canLogin(s, "ada@new.example", PASSWORD)));
  const sessions: Record<string, string>[] = [{ "x-session-token": user.token }, { cookie: other.header() }];
  for (const headers of sessions) {
    const whoami = await fetch(url(s, "/sessions/whoami"), { headers });
    assert.equal(whoami.status, 401, "the session was revoked");
  }
  const types = await historyTypes(s, user.identityId);
  assert.ok(types.includes("address_change_reverted"));
  assert.ok(types.includes("sessions_revoked"));
});

test("revert link: expired (moved clock) and forged tokens are refused, never a 500", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  await changeEmail(s, user.token, "ada@new.example");
  const link = revertLinkOf(
    (await latestMail(s.store, "ada@example.com", "verifiable_address_changed")).body,
  );
  const token = new URL(link).searchParams.get("token")!;
  const forged = await fetch(
    url(s, "/self-service/account/address-change/revert"),
    jsonBody({ token: `${token}x` }),
  );
  assert.equal(forged.status, 400);
  assert.equal(((await bodyOf(forged)).error as Json).id, "address_change_revert_invalid");
  for (const body of [{}, { token: 5 }, { token: "" }]) {
    const bad = await fetch(url(s, "/self-service/account/address-change/revert"), jsonBody(body));
    assert.equal(bad.status, 400);
  }
  const forgedPage = await fetch(url(s, "/self-service/account/address-change/revert?token=nope"));
  assert.equal(forgedPage.status, 400);
  assert.match(await forgedPage.text(), /data-message-id="4900004"/);
  s.clock.advance(72 * HOUR + 1000);
  const expired = await fetch(url(s, "/self-service/account/address-change/revert"), jsonBody({ token }));
  assert.equal(expired.status, 410);
  assert.equal(((await bodyOf(expired)).error as Json).id, "address_change_revert_expired");
  const expiredPage = await fetch(link);
  assert.equal(expiredPage.status, 410);
  assert.match(await expiredPage.text(), /data-message-id="4900003"/);
  assert.ok(await s.store.pendingAddressChange(user.identityId), "still pending");
});

test("the revert lifespan is configurable", async (t) => {
  const s = await server(t, { ...HOOKS, account: { address_change: { revert_lifespan: "1h" } } });
  const user = await registerApi(s, "ada@example.com");
  await changeEmail(s, user.token, "ada@new.example");
  const link = revertLinkOf(
    (await latestMail(s.store, "ada@example.com", "verifiable_address_changed")).body,
  );
  s.clock.advance(HOUR + 1000);
  assert.equal((await fetch(link, { headers: JSON_ACCEPT })).status, 410);
});

test("two addresses at once are refused (4050002), nothing written", async (t) => {
  const schema = {
    $id: "https://example.com/two.schema.json",
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      traits: {
        type: "object",
        properties: {
          email: {
            type: "string",
            format: "email",
            "ory.sh/kratos": {
              credentials: { password: { identifier: true } },
              verification: { via: "email" },
            },
          },
          backup: { type: "string", format: "email", "ory.sh/kratos": { verification: { via: "email" } } },
        },
        required: ["email"],
      },
    },
  };
  const s = await server(t, { ...onlySchema("two", schema), ...{ selfservice: { ...HOOKS.selfservice } } });
  const flow = await bodyOf(await fetch(url(s, "/self-service/registration/api")));
  const reg = await bodyOf(
    await fetch(
      url(s, `/self-service/registration?flow=${flow.id}`),
      jsonBody({
        method: "password",
        password: PASSWORD,
        traits: { email: "a@example.com", backup: "b@example.com" },
      }),
    ),
  );
  const token = reg.session_token as string;
  const settings = await apiFlow(s, token);
  const res = await postWithToken(s, token, settings.id, {
    method: "profile",
    traits: { email: "a2@example.com", backup: "b2@example.com" },
  });
  assert.equal(res.status, 400);
  assert.deepEqual(globalMessageIds(await bodyOf(res)), [4050002]);
  const id = (reg.identity as Json).id as string;
  assert.deepEqual((await s.store.getIdentity(id))!.traits, {
    email: "a@example.com",
    backup: "b@example.com",
  });
  assert.equal(await s.store.pendingAddressChange(id), undefined);
});

test('the trait rule "verified" holds the change without the hooks, and notifies the old address', async (t) => {
  const schema = {
    $id: "https://example.com/verified.schema.json",
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      traits: {
        type: "object",
        properties: {
          email: {
            type: "string",
            format: "email",
            "ory.sh/kratos": {
              credentials: { password: { identifier: true } },
              verification: { via: "email" },
            },
            "tessera.dev/policy": { verified: true },
          },
          name: { type: "string" },
        },
        required: ["email"],
      },
    },
  };
  const s = await server(t, {
    ...onlySchema("verified", schema),
    selfservice: { flows: { verification: { enabled: true } } },
  });
  const flow = await bodyOf(await fetch(url(s, "/self-service/registration/api")));
  const reg = await bodyOf(
    await fetch(
      url(s, `/self-service/registration?flow=${flow.id}`),
      jsonBody({ method: "password", password: PASSWORD, traits: { email: "a@example.com" } }),
    ),
  );
  const token = reg.session_token as string;
  const id = (reg.identity as Json).id as string;
  s.clock.advance(1000);
  const settings = await apiFlow(s, token);
  const res = await postWithToken(s, token, settings.id, {
    method: "profile",
    traits: { email: "z@example.com" },
  });
  const body = await bodyOf(res);
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal((await s.store.getIdentity(id))!.traits.email, "a@example.com");
  revertLinkOf((await latestMail(s.store, "a@example.com", "verifiable_address_changed")).body);
  const vf = (body.continue_with as { flow: { id: string } }[])[0]!.flow.id;
  assert.equal((await verifyWithCode(s, vf, "z@example.com")).state, "passed_challenge");
  assert.equal((await s.store.getIdentity(id))!.traits.email, "z@example.com");
});

test("default config: an email change applies at once, with no notice and no pending change", async (t) => {
  const s = await server(t, { selfservice: { flows: { verification: { enabled: true } } } });
  const user = await registerApi(s, "ada@example.com");
  const { res, body } = await changeEmail(s, user.token, "ada@new.example");
  assert.equal(res.status, 200);
  assert.equal(body.state, "success");
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@new.example");
  assert.equal(await s.store.pendingAddressChange(user.identityId), undefined);
  assert.equal(pendingNode(await apiFlow(s, user.token)), undefined);
  assert.ok(!(await allMails(s.store)).some((m) => m.template === "verifiable_address_changed"));
});

test("notify_previous_addresses alone: the change applies at once and the old address can undo it", async (t) => {
  const s = await server(t, {
    selfservice: {
      flows: {
        verification: { enabled: true },
        settings: { after: { profile: { hooks: [{ hook: "notify_previous_addresses" }] } } },
      },
    },
  });
  const user = await registerApi(s, "ada@example.com");
  const { body } = await changeEmail(s, user.token, "ada@new.example");
  assert.equal(body.state, "success");
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@new.example");
  const link = revertLinkOf(
    (await latestMail(s.store, "ada@example.com", "verifiable_address_changed")).body,
  );
  const token = new URL(link).searchParams.get("token")!;
  const res = await fetch(url(s, "/self-service/account/address-change/revert"), jsonBody({ token }));
  assert.equal((await bodyOf(res)).state, "reverted");
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@example.com");
});

test("a held change needs a privileged session, like any address change", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  s.clock.advance(2 * HOUR);
  const { res } = await changeEmail(s, user.token, "ada@new.example");
  assert.equal(res.status, 403);
  assert.equal(await s.store.pendingAddressChange(user.identityId), undefined);
  assert.equal((await mailsTo(s.store, "ada@new.example")).length, 0);
});

test("a resend on the change's verification flow mails a new code to the new address, which still applies it", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  const { body } = await changeEmail(s, user.token, "ada@new.example");
  const vf = (body.continue_with as { flow: { id: string } }[])[0]!.flow.id;
  const first = await latestMail(s.store, "ada@new.example", "verification_code.valid");
  s.clock.advance(1000);
  const resent = await fetch(
    url(s, `/self-service/verification?flow=${vf}`),
    jsonBody({ method: "code", email: "ada@new.example" }),
  );
  assert.equal(resent.status, 200);
  const second = await latestMail(s.store, "ada@new.example", "verification_code.valid");
  assert.notEqual(second.body, first.body);
  assert.equal((await verifyWithCode(s, vf, "ada@new.example")).state, "passed_challenge");
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@new.example");
});

test("a pending change no longer applies once the session that asked for it was signed out", async (t) => {
  const s = await server(t, HOOKS);
  const user = await registerApi(s, "ada@example.com");
  const { body } = await changeEmail(s, user.token, "ada@new.example");
  const vf = (body.continue_with as { flow: { id: string } }[])[0]!.flow.id;
  assert.ok(await s.store.revokeSession(user.sessionId));
  const late = await verifyWithCode(s, vf, "ada@new.example");
  assert.notEqual(late.state, "passed_challenge");
  assert.equal((await s.store.getIdentity(user.identityId))!.traits.email, "ada@example.com");
  assert.equal((await s.store.pendingAddressChange(user.identityId))?.status, "pending");
});
