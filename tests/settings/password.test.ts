import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import {
  apiFlow,
  assertUnchanged,
  bodyOf,
  browserFlow,
  browserLogin,
  canLogin,
  csrfOf,
  flowIdFromUiRedirect,
  flowOf,
  form,
  globalMessages,
  HOUR,
  type Json,
  jsonBody,
  MINUTE,
  NEW_PASSWORD,
  nodeOf,
  registerBrowser,
  server,
  snapshot,
  storedErrorOf,
  submitUrl,
  type TestServer,
  url,
} from "./helpers.ts";

// Contract §6.2: the password method's own cases.

/** Creates an identity through the admin API (no credentials). */
async function adminCreate(s: TestServer, body: Json): Promise<string> {
  const res = await fetch(new URL("admin/identities", s.adminUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return String((await bodyOf(res)).id);
}

/** A fresh session for an identity that cannot sign in yet, written straight to the store. */
async function storeSession(s: TestServer, identityId: string): Promise<string> {
  const now = s.clock.now();
  const token = `ory_st_${randomUUID().replaceAll("-", "")}`;
  await s.store.createSession({
    id: randomUUID(),
    token,
    logoutToken: `ory_lo_${randomUUID().replaceAll("-", "")}`,
    identityId,
    active: true,
    aal: "aal1",
    issuedAt: now,
    authenticatedAt: now,
    expiresAt: new Date(now.getTime() + 24 * HOUR),
    authenticationMethods: [{ method: "password", aal: "aal1", completedAt: now }],
    devices: [],
    createdAt: now,
    updatedAt: now,
  });
  return token;
}

test("§6.2 step 7: an identity without a password can set one", async (t) => {
  const s = await server(t);
  const id = await adminCreate(s, { schema_id: "default", traits: { email: "nopw@example.com" } });
  const token = await storeSession(s, id);
  const flow = await apiFlow(s, token);
  assert.equal(
    nodeOf(flow, "password").attributes.type,
    "password",
    "password nodes shown without a password",
  );
  const res = await fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "password", password: NEW_PASSWORD }, { "x-session-token": token }),
  );
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await flowOf(res)).state, "success");
  assert.equal(await canLogin(s, "nopw@example.com", NEW_PASSWORD), true);
  assert.ok((await snapshot(s, id)).hash);
});

const NO_IDENTIFIER_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    traits: {
      type: "object",
      properties: { nickname: { type: "string", title: "Nickname" } },
      additionalProperties: false,
    },
  },
};

test("§6.2 step 6: a schema without a password identifier ⇒ global 4000009", async (t) => {
  const s = await server(t, {
    identity: {
      schemas: [
        { id: "default", url: "file://./schemas/default.identity.schema.json" },
        {
          id: "noid",
          url: `base64://${Buffer.from(JSON.stringify(NO_IDENTIFIER_SCHEMA)).toString("base64")}`,
        },
      ],
    },
  });
  const id = await adminCreate(s, { schema_id: "noid", traits: { nickname: "anon" } });
  const token = await storeSession(s, id);
  const flow = await apiFlow(s, token);
  const res = await fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "password", password: NEW_PASSWORD }, { "x-session-token": token }),
  );
  assert.equal(res.status, 400, await res.clone().text());
  const rendered = await flowOf(res);
  assert.deepEqual(globalMessages(rendered), [
    {
      id: 4000009,
      text: "Could not find any login identifiers. Did you forget to set them? This could also be caused by a server misconfiguration.",
      type: "error",
    },
  ]);
  const identity = await s.store.getIdentity(id);
  assert.equal(
    identity?.credentials.some((c) => c.type === "password"),
    false,
    "no password stored",
  );
});

test("§10.3 re-authentication by another identity: the old flow answers security_identity_mismatch", async (t) => {
  const s = await server(t);
  const ada = await registerBrowser(s, "ada@example.com");
  await registerBrowser(s, "eve@example.com");
  const before = await snapshot(s, ada.identityId);
  s.clock.advance(HOUR + MINUTE);
  const flow = await browserFlow(s, ada.jar);
  const paused = await ada.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "password", password: NEW_PASSWORD, csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(paused.status, 303);
  // Eve signs in in the same browser (the session cookie is replaced; the continuity cookie stays).
  const eve = await browserLogin(s, "eve@example.com");
  ada.jar.cookies.set("ory_kratos_session", eve.cookies.get("ory_kratos_session")!);
  const resumed = await ada.jar.fetch(url(s, `/self-service/settings?flow=${flow.id}`));
  const error = await storedErrorOf(s, resumed);
  assert.equal(error.id, "security_identity_mismatch");
  await assertUnchanged(s, before);
});

test("§6.2 a failed password attempt then a successful one on the same flow (messages are cleared)", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const flow = await browserFlow(s, user.jar);
  const bad = await user.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "password", password: "iloveyou", csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(flowIdFromUiRedirect(s, bad), flow.id);
  const good = await user.jar.fetch(
    submitUrl(s, flow.id),
    form({ method: "password", password: NEW_PASSWORD, csrf_token: csrfOf(flow as never) }),
  );
  assert.equal(flowIdFromUiRedirect(s, good), flow.id);
  const done = await bodyOf(
    await user.jar.fetch(url(s, `/self-service/settings/flows?id=${flow.id}`), {
      headers: { accept: "application/json" },
    }),
  );
  assert.equal(done.state, "success");
  assert.deepEqual(nodeOf(done, "password").messages, []);
  assert.deepEqual(
    globalMessages(done).map((m) => m.id),
    [1050001],
  );
});
