import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createTesseraAdminClient,
  csrfTokenOf,
  expiredFlowOf,
  isRefreshRequired,
} from "../../client/index.ts";
import { assertSchema } from "../helpers/openapi.ts";
import type { TestServer } from "../helpers/server.ts";
import {
  CookieJar,
  client,
  comparable,
  globalMessageIds,
  nodeOf,
  PASSWORD,
  restJson,
  server,
  traits,
  trpcError,
} from "./support.ts";

const HOUR = 60 * 60 * 1000;
const NEW_PASSWORD = "Another-battery-staple-9183";

/** A native user: registered through tRPC, signed in with a session token. */
async function nativeUser(s: TestServer, email = "ada@example.com") {
  const trpc = client(s);
  const flow = await trpc.registration.create.mutate({ type: "api" });
  const res = await trpc.registration.submit.mutate({
    flow: flow.id,
    body: { method: "password", password: PASSWORD, traits: traits(email) },
  });
  assert.equal(res.status, "success");
  if (res.status !== "success") throw new Error("unreachable");
  const token = res.session_token!;
  return { token, identityId: res.identity.id, trpc: client(s, { sessionToken: token }) };
}

function admin(s: TestServer) {
  return createTesseraAdminClient({ url: s.adminUrl });
}

test("api settings: create, a bad email as a form (same flow as REST), then a saved profile", async (t) => {
  const s = await server(t);
  const { token, identityId, trpc } = await nativeUser(s);
  const before = await admin(s).identities.get.query({ id: identityId });

  const flow = await trpc.settings.create.mutate({ type: "api" });
  assertSchema("settingsFlow", flow);
  assert.equal(flow.identity.id, identityId);
  assert.equal(nodeOf(flow, "traits.email").attributes.value, "ada@example.com");

  const bad = { method: "profile" as const, traits: traits("not-an-email") };
  const res = await trpc.settings.submit.mutate({ flow: flow.id, body: bad });
  assert.equal(res.status, "form");
  if (res.status !== "form") return;
  assertSchema("settingsFlow", res.flow);
  assert.deepEqual(
    nodeOf(res.flow, "traits.email").messages.map((m) => m.id),
    [4000040],
  );

  const restFlow = await restJson(s, "/self-service/settings/api", { headers: { "x-session-token": token } });
  const rest = await restJson(s, `/self-service/settings?flow=${restFlow.body.id}`, {
    method: "POST",
    headers: { "x-session-token": token },
    body: JSON.stringify(bad),
  });
  assert.equal(rest.status, 400);
  assert.deepEqual(
    comparable(res.flow),
    comparable(rest.body as unknown as Parameters<typeof comparable>[0]),
  );
  assert.deepEqual(await admin(s).identities.get.query({ id: identityId }), before, "nothing changed");

  const ok = await trpc.settings.submit.mutate({
    flow: flow.id,
    body: { method: "profile", traits: { ...traits(), name: { first: "Augusta", last: "King" } } },
  });
  assert.equal(ok.status, "success");
  if (ok.status !== "success") return;
  assert.equal(ok.state, "success");
  assert.deepEqual(globalMessageIds(ok), [1050001]);
  assert.deepEqual(ok.identity.traits.name, { first: "Augusta", last: "King" });
  assert.deepEqual((await trpc.session.whoami.query()).identity.traits.name, {
    first: "Augusta",
    last: "King",
  });
  // The stored flow is the one returned (the success body is the flow itself).
  const { status: _s, continue_with: _c, ...saved } = ok;
  const { continue_with: _f, ...fetched } = await trpc.settings.get.query({ id: flow.id });
  assert.deepEqual(fetched, saved);
});

test("an unknown method (untyped caller) gets REST's form message, not a tRPC-only error", async (t) => {
  const s = await server(t);
  const { token, trpc } = await nativeUser(s);
  const flow = await trpc.settings.create.mutate({ type: "api" });
  const body = { method: "nope" } as unknown as { method: "profile"; traits: Record<string, unknown> };
  const res = await trpc.settings.submit.mutate({ flow: flow.id, body });
  assert.equal(res.status, "form");
  if (res.status !== "form") return;
  const restFlow = await restJson(s, "/self-service/settings/api", { headers: { "x-session-token": token } });
  const rest = await restJson(s, `/self-service/settings?flow=${restFlow.body.id}`, {
    method: "POST",
    headers: { "x-session-token": token },
    body: JSON.stringify(body),
  });
  assert.equal(rest.status, 400);
  assert.deepEqual(globalMessageIds(res.flow), globalMessageIds(rest.body as never));
  assert.deepEqual(comparable(res.flow), comparable(rest.body as never));
});

test("a password change on an old session: FORBIDDEN session_refresh_required with redirect_browser_to", async (t) => {
  const s = await server(t);
  const { identityId, trpc } = await nativeUser(s);
  const before = await admin(s).identities.get.query({ id: identityId, includeCredential: ["password"] });
  s.clock.advance(2 * HOUR);
  const flow = await trpc.settings.create.mutate({ type: "api" });
  const err = await trpcError(
    trpc.settings.submit.mutate({ flow: flow.id, body: { method: "password", password: NEW_PASSWORD } }),
  );
  assert.equal(err.data.code, "FORBIDDEN");
  assert.equal(err.data.httpStatus, 403);
  assert.equal(err.data.kratos.error.id, "session_refresh_required");
  const refresh = isRefreshRequired(err);
  assert.ok(refresh);
  const target = new URL(refresh.redirectBrowserTo);
  assert.equal(target.pathname, "/self-service/login/browser");
  assert.equal(target.searchParams.get("refresh"), "true");
  assert.deepEqual(
    await admin(s).identities.get.query({ id: identityId, includeCredential: ["password"] }),
    before,
    "nothing changed",
  );

  // A non-protected trait still changes without re-authentication.
  const ok = await trpc.settings.submit.mutate({
    flow: flow.id,
    body: { method: "profile", traits: { ...traits(), name: { first: "Ada", last: "King" } } },
  });
  assert.equal(ok.status, "success");

  // After a refresh login (same session), the password change goes through.
  const login = await trpc.login.create.mutate({ type: "api", refresh: true });
  const relogged = await trpc.login.submit.mutate({
    flow: login.id,
    body: { method: "password", identifier: "ada@example.com", password: PASSWORD },
  });
  assert.equal(relogged.status, "success");
  const again = await trpc.settings.create.mutate({ type: "api" });
  const changed = await trpc.settings.submit.mutate({
    flow: again.id,
    body: { method: "password", password: NEW_PASSWORD },
  });
  assert.equal(changed.status, "success");
});

test("an expired settings flow: PRECONDITION_FAILED (410) with use_flow_id", async (t) => {
  const s = await server(t);
  const { trpc } = await nativeUser(s);
  const flow = await trpc.settings.create.mutate({ type: "api" });
  s.clock.advance(2 * HOUR);
  const err = await trpcError(
    trpc.settings.submit.mutate({ flow: flow.id, body: { method: "profile", traits: traits() } }),
  );
  assert.equal(err.data.code, "PRECONDITION_FAILED");
  assert.equal(err.data.httpStatus, 410);
  const expired = expiredFlowOf(err);
  assert.ok(expired?.useFlowId);
  const replacement = await trpc.settings.get.query({ id: expired.useFlowId });
  assert.deepEqual(globalMessageIds(replacement), [4050001]);
});

test("browser settings through the cookie jar: CSRF token required, then saved", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const trpc = client(s, { jar });
  const reg = await trpc.registration.create.mutate({ type: "browser" });
  const res = await trpc.registration.submit.mutate({
    flow: reg.id,
    body: { method: "password", password: PASSWORD, traits: traits(), csrf_token: csrfTokenOf(reg) },
  });
  assert.equal(res.status, "success");

  const flow = await trpc.settings.create.mutate({ type: "browser" });
  assertSchema("settingsFlow", flow);
  const profile = { method: "profile" as const, traits: { ...traits(), name: { first: "Ada", last: "B" } } };
  const denied = await trpcError(trpc.settings.submit.mutate({ flow: flow.id, body: profile }));
  assert.equal(denied.data.code, "FORBIDDEN");
  assert.equal(denied.data.kratos.error.id, "security_csrf_violation");

  const ok = await trpc.settings.submit.mutate({
    flow: flow.id,
    body: { ...profile, csrf_token: csrfTokenOf(flow) },
  });
  assert.equal(ok.status, "success");
  if (ok.status !== "success") return;
  assert.equal(ok.continue_with?.[0]?.action, "redirect_browser_to");
  assert.deepEqual((await trpc.session.whoami.query()).identity.traits.name, { first: "Ada", last: "B" });
});

test("settings without a session: UNAUTHORIZED session_inactive, as REST", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const err = await trpcError(trpc.settings.create.mutate({ type: "api" }));
  assert.equal(err.data.code, "UNAUTHORIZED");
  assert.equal(err.data.kratos.error.id, "session_inactive");
  const rest = await restJson(s, "/self-service/settings/api");
  assert.equal(rest.status, 401);
  assert.deepEqual(err.data.kratos, rest.body);
});
