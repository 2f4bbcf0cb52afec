import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultMethods } from "../../server/methods/registry.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import {
  apiFlow,
  bodyOf,
  browserFlow,
  csrfOf,
  errorOf,
  flowOf,
  HOUR,
  hasContinuityCookie,
  JSON_ACCEPT,
  type Json,
  MINUTE,
  nodeOf,
  nodesOf,
  postWithToken,
  refreshLoginUrl,
  registerApi,
  registerBrowser,
  reRendered,
  storedErrorOf,
  submitForm,
} from "../settings/helpers.ts";
import { noopMethod } from "./noop-method.ts";

// Issue 7 acceptance: "adding a method is adding a folder". A method defined only in this test
// folder is registered in a test app; the settings engine shows its nodes, dispatches to it, and
// applies its own rules (CSRF, the privileged-session guard for a declared protected change) without
// the method doing anything about them. Nothing under server/flows/ names "noop".

async function noopServer(t: { after(fn: () => Promise<void>): void }): Promise<TestServer> {
  const s = await startTestServer({}, { methods: [...defaultMethods(), noopMethod] });
  t.after(() => s.close());
  return s;
}

/** metadata_public as the admin API shows it. */
async function metadataPublic(s: TestServer, identityId: string): Promise<unknown> {
  const res = await fetch(new URL(`admin/identities/${identityId}`, s.adminUrl), { headers: JSON_ACCEPT });
  assert.equal(res.status, 200);
  return (await bodyOf(res)).metadata_public ?? null;
}

function assertNoopNodes(flow: Json): void {
  const hidden = nodeOf(flow, "noop");
  assert.equal(hidden.group, "default");
  assert.equal(hidden.attributes.type, "hidden");
  const submit = nodesOf(flow).find((n) => n.attributes.name === "method" && n.attributes.value === "noop");
  assert.ok(submit, "the noop submit button is in the flow");
  assert.equal(submit.attributes.type, "submit");
  // The default methods are still there, beside it.
  assert.ok(nodesOf(flow).some((n) => n.group === "profile"));
  assert.ok(nodesOf(flow).some((n) => n.group === "password"));
}

test("the registered method's nodes appear in new settings flows (browser and api)", async (t) => {
  const s = await noopServer(t);
  const browser = await registerBrowser(s);
  assertNoopNodes(await browserFlow(s, browser.jar));
  const native = await registerApi(s, "grace@example.com");
  assertNoopNodes(await apiFlow(s, native.token));
});

test("without the method registered, the flow has no noop node and a noop submission names no method", async (t) => {
  const s = await startTestServer();
  t.after(() => s.close());
  const native = await registerApi(s);
  const flow = await apiFlow(s, native.token);
  assert.ok(!nodesOf(flow).some((n) => n.attributes.name === "noop"));
  const res = await postWithToken(s, native.token, flow.id, { method: "noop", noop: "x" });
  assert.equal(res.status, 400);
  assert.equal(await metadataPublic(s, native.identityId), null);
});

test("a submission on a fresh session reaches the method and its change is saved (api)", async (t) => {
  const s = await noopServer(t);
  const native = await registerApi(s);
  const flow = await apiFlow(s, native.token);
  const res = await postWithToken(s, native.token, flow.id, { method: "noop", noop: "hello" });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await flowOf(res);
  assert.equal(body.state, "success");
  assert.equal(
    nodeOf(body, "noop").attributes.value,
    "hello",
    "the nodes are rebuilt from the saved identity",
  );
  assert.deepEqual(await metadataPublic(s, native.identityId), { noop: "hello" });
});

test("a submission on a fresh session reaches the method and its change is saved (browser form)", async (t) => {
  const s = await noopServer(t);
  const user = await registerBrowser(s);
  const flow = await browserFlow(s, user.jar);
  const res = await submitForm(s, user.jar, flow, { method: "noop", noop: "from-browser" });
  const shown = await reRendered(s, user.jar, flow, res);
  assert.equal(shown.state, "success");
  assert.deepEqual(await metadataPublic(s, user.identityId), { noop: "from-browser" });
});

test("on an old session the declared protected change is refused: 403 session_refresh_required (api)", async (t) => {
  const s = await noopServer(t);
  const native = await registerApi(s);
  s.clock.advance(HOUR + MINUTE); // past privileged_session_max_age (1h by default)
  const flow = await apiFlow(s, native.token);
  const res = await postWithToken(s, native.token, flow.id, { method: "noop", noop: "late" });
  assert.equal(res.status, 403);
  const error = await errorOf(res, "needsPrivilegedSessionError");
  assert.equal(error.id, "session_refresh_required");
  assert.equal(await metadataPublic(s, native.identityId), null, "nothing was written");
});

test("on an old session the declared protected change is refused: redirect to the refresh login (browser)", async (t) => {
  const s = await noopServer(t);
  const user = await registerBrowser(s);
  s.clock.advance(HOUR + MINUTE);
  const flow = await browserFlow(s, user.jar);
  const res = await submitForm(s, user.jar, flow, { method: "noop", noop: "late" });
  assert.equal(res.status, 303, await res.clone().text());
  assert.equal(res.headers.get("location"), refreshLoginUrl(s, String(flow.id)));
  assert.ok(hasContinuityCookie(res), "the submission is paused for after the refresh login");
  assert.equal(await metadataPublic(s, user.identityId), null, "nothing was written");
});

test("a browser form post without a valid CSRF token is refused before the method writes", async (t) => {
  const s = await noopServer(t);
  const user = await registerBrowser(s);
  const flow = await browserFlow(s, user.jar);

  // Missing, and well-formed but masked from another browser's CSRF cookie.
  const other = await registerBrowser(s, "eve@example.com");
  const foreign = csrfOf((await browserFlow(s, other.jar)) as never);
  for (const csrf of ["", foreign]) {
    const res = await submitForm(s, user.jar, flow, { method: "noop", noop: "csrf" }, csrf);
    const error = await storedErrorOf(s, res);
    assert.equal(error.id, "security_csrf_violation");
    assert.equal(error.code, 403);
  }
  assert.equal(await metadataPublic(s, user.identityId), null, "nothing was written");
});
