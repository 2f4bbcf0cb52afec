import assert from "node:assert/strict";
import { test } from "node:test";
import { csrfTokenOf, isRefreshRequired, kratosErrorOf } from "../../client/index.ts";
import { assertSchema } from "../helpers/openapi.ts";
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
  url,
} from "./support.ts";

test("api registration returns a session token; whoami with the token", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const flow = await trpc.registration.create.mutate({ type: "api" });
  assertSchema("registrationFlow", flow);
  assert.equal(flow.type, "api");
  assert.equal(flow.request_url, url(s, "/self-service/registration/api"), "same request_url as REST");

  const res = await trpc.registration.submit.mutate({
    flow: flow.id,
    body: { method: "password", password: PASSWORD, traits: traits() },
  });
  assert.equal(res.status, "success");
  if (res.status !== "success") return;
  const { status: _r, ...regBody } = res;
  assertSchema("successfulNativeRegistration", regBody);
  assert.match(res.session_token ?? "", /^ory_st_/);
  assert.equal(res.identity.traits.email, "ada@example.com");
  assert.deepEqual(res.continue_with, [
    { action: "set_ory_session_token", ory_session_token: res.session_token },
  ]);

  const me = await client(s, { sessionToken: res.session_token! }).session.whoami.query();
  assertSchema("session", me);
  assert.equal(me.identity.id, res.identity.id);
  assert.equal(me.id, res.session?.id);

  // The same token works through the REST door, and gives the same session JSON.
  const rest = await restJson(s, "/sessions/whoami", { headers: { "x-session-token": res.session_token! } });
  assert.equal(rest.status, 200);
  assert.deepEqual(rest.body, me);
});

test("Authorization: Bearer works for tRPC as for REST", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const flow = await trpc.registration.create.mutate({ type: "api" });
  const res = await trpc.registration.submit.mutate({
    flow: flow.id,
    body: { method: "password", password: PASSWORD, traits: traits() },
  });
  assert.equal(res.status, "success");
  const token = res.status === "success" ? res.session_token! : "";
  const bearer = await import("../../client/index.ts").then((m) =>
    m.createTesseraClient({ url: s.publicUrl, headers: { authorization: `Bearer ${token}` } }),
  );
  const me = await bearer.session.whoami.query();
  assert.equal(me.identity.traits.email, "ada@example.com");
});

test("browser registration and login with the cookie jar and the flow's CSRF token; whoami by cookie", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const trpc = client(s, { jar });

  const flow = await trpc.registration.create.mutate({ type: "browser" });
  assertSchema("registrationFlow", flow);
  assert.equal(flow.type, "browser");
  const csrf = csrfTokenOf(flow);
  assert.ok(csrf, "browser flows carry a CSRF token");
  assert.ok(
    [...jar.cookies.keys()].some((k) => k.startsWith("csrf_token_")),
    "CSRF cookie set",
  );
  // Fetching the flow by id with the CSRF cookie works (REST's check).
  assert.equal((await trpc.registration.get.query({ id: flow.id })).id, flow.id);

  const res = await trpc.registration.submit.mutate({
    flow: flow.id,
    body: { method: "password", password: PASSWORD, traits: traits(), csrf_token: csrf },
  });
  assert.equal(res.status, "success");
  if (res.status !== "success") return;
  assert.equal(res.session_token, undefined, "browser flows never return the token");
  assert.ok(res.session);
  assert.equal(res.continue_with[0]?.action, "redirect_browser_to");
  assert.ok(jar.cookies.has("ory_kratos_session"), "session cookie set through tRPC");

  const me = await trpc.session.whoami.query();
  assert.equal(me.identity.id, res.identity.id);
  // The REST door accepts the cookie tRPC set.
  const rest = await restJson(s, "/sessions/whoami", {}, jar.fetch);
  assert.equal(rest.status, 200);
  assert.equal(rest.body.id, me.id);

  // A signed-in browser cannot start another login without refresh (same as REST for SPAs).
  const signedIn = await trpcError(trpc.login.create.mutate({ type: "browser" }));
  assert.equal(signedIn.data.code, "BAD_REQUEST");
  assert.equal(signedIn.data.kratos.error.id, "session_already_available");

  // Log out (cookie): cookie cleared, whoami now fails.
  await trpc.session.logout.mutate();
  assert.ok(!jar.cookies.has("ory_kratos_session"), "session cookie cleared");
  const gone = await trpcError(trpc.session.whoami.query());
  assert.equal(gone.data.kratos.error.id, "session_inactive");

  // Browser login.
  const login = await trpc.login.create.mutate({ type: "browser" });
  assertSchema("loginFlow", login);
  assert.equal((await trpc.login.get.query({ id: login.id })).id, login.id);
  const signed = await trpc.login.submit.mutate({
    flow: login.id,
    body: {
      method: "password",
      identifier: "ada@example.com",
      password: PASSWORD,
      csrf_token: csrfTokenOf(login),
    },
  });
  assert.equal(signed.status, "success");
  if (signed.status !== "success") return;
  assert.equal(signed.session_token, undefined);
  assert.ok(jar.cookies.has("ory_kratos_session"));
  const again = await trpc.session.whoami.query();
  assert.equal(again.id, signed.session.id);
  assert.equal(again.identity.id, res.identity.id);
});

test("a browser submission without the CSRF token is the same 403 as REST", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const trpc = client(s, { jar });
  const flow = await trpc.registration.create.mutate({ type: "browser" });
  const err = await trpcError(
    trpc.registration.submit.mutate({
      flow: flow.id,
      body: { method: "password", password: PASSWORD, traits: traits() },
    }),
  );
  assert.equal(err.data.code, "FORBIDDEN");
  assert.equal(err.data.httpStatus, 403);
  assert.equal(err.data.kratos.error.id, "security_csrf_violation");

  const restFlow = await restJson(s, "/self-service/registration/browser", {}, jar.fetch);
  const rest = await restJson(
    s,
    `/self-service/registration?flow=${restFlow.body.id}`,
    { method: "POST", body: JSON.stringify({ method: "password", password: PASSWORD, traits: traits() }) },
    jar.fetch,
  );
  assert.equal(rest.status, 403);
  assert.deepEqual(err.data.kratos, rest.body);
});

test("a bad email comes back as a form with 4000040 on traits.email — the same flow REST returns", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const body = { method: "password" as const, password: PASSWORD, traits: traits("not-an-email") };

  const flow = await trpc.registration.create.mutate({ type: "api" });
  const res = await trpc.registration.submit.mutate({ flow: flow.id, body });
  assert.equal(res.status, "form");
  if (res.status !== "form") return;
  assertSchema("registrationFlow", res.flow);
  assert.deepEqual(
    nodeOf(res.flow, "traits.email").messages.map((m) => m.id),
    [4000040],
  );
  assert.equal(nodeOf(res.flow, "traits.email").attributes.value, "not-an-email", "value re-filled");

  const restFlow = await restJson(s, "/self-service/registration/api");
  const rest = await restJson(s, `/self-service/registration?flow=${restFlow.body.id}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  assert.equal(rest.status, 400);
  const restUi = rest.body as unknown as Parameters<typeof comparable>[0];
  // Node by node, message by message — and in fact the whole flow, ids aside.
  assert.deepEqual(
    res.flow.ui.nodes.map((n) => [n.attributes.node_type === "input" ? n.attributes.name : "", n.messages]),
    restUi.ui.nodes.map((n) => [n.attributes.name, n.messages]),
  );
  assert.deepEqual(comparable(res.flow), comparable(restUi));

  // The stored flow is the one returned: get gives it back with the messages.
  const fetched = await trpc.registration.get.query({ id: flow.id });
  assert.deepEqual(fetched, res.flow);
});

test("a wrong password comes back as a form with 4000006 — the same flow REST returns", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const reg = await trpc.registration.create.mutate({ type: "api" });
  await trpc.registration.submit.mutate({
    flow: reg.id,
    body: { method: "password", password: PASSWORD, traits: traits() },
  });

  const body = { method: "password" as const, identifier: "ada@example.com", password: "wrong-password-123" };
  const flow = await trpc.login.create.mutate({ type: "api" });
  assertSchema("loginFlow", flow);
  assert.equal(flow.request_url, url(s, "/self-service/login/api"));
  const res = await trpc.login.submit.mutate({ flow: flow.id, body });
  assert.equal(res.status, "form");
  if (res.status !== "form") return;
  assert.deepEqual(globalMessageIds(res.flow), [4000006]);
  assert.equal(nodeOf(res.flow, "identifier").attributes.value, "ada@example.com");

  const restFlow = await restJson(s, "/self-service/login/api");
  const rest = await restJson(s, `/self-service/login?flow=${restFlow.body.id}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  assert.equal(rest.status, 400);
  assert.deepEqual(
    comparable(res.flow),
    comparable(rest.body as unknown as Parameters<typeof comparable>[0]),
  );

  // And the right password signs in, with a token.
  const ok = await trpc.login.submit.mutate({ flow: flow.id, body: { ...body, password: PASSWORD } });
  assert.equal(ok.status, "success");
  if (ok.status !== "success") return;
  const { status: _l, ...loginBody } = ok;
  assertSchema("successfulNativeLogin", loginBody);
  assert.match(ok.session_token ?? "", /^ory_st_/);
});

test("an unknown flow id is a typed NOT_FOUND carrying the Kratos envelope", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const id = "9f2c1a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
  const err = await trpcError(trpc.registration.get.query({ id }));
  assert.equal(err.data.code, "NOT_FOUND");
  assert.equal(err.data.httpStatus, 404);
  assert.equal(err.data.kratos.error.code, 404);
  assert.equal(err.data.kratos.error.status, "Not Found");
  assert.equal(kratosErrorOf(err), err.data.kratos);
  const rest = await restJson(s, `/self-service/registration/flows?id=${id}`);
  assert.equal(rest.status, 404);
  assert.deepEqual(err.data.kratos, rest.body);
  assertSchema("errorGeneric", err.data.kratos);

  // Submitting to an unknown or a malformed id: whatever REST answers, tRPC answers the same.
  for (const flow of [id, "not-a-uuid"]) {
    const sub = await trpcError(
      trpc.login.submit.mutate({ flow, body: { method: "password", identifier: "a@b.c", password: "x" } }),
    );
    const restSub = await restJson(s, `/self-service/login?flow=${flow}`, {
      method: "POST",
      body: JSON.stringify({ method: "password", identifier: "a@b.c", password: "x" }),
    });
    if (flow === id) assert.equal(sub.data.code, "NOT_FOUND");
    assert.equal(sub.data.httpStatus, restSub.status);
    assert.deepEqual(sub.data.kratos, restSub.body);
  }
});

test("whoami without a session is UNAUTHORIZED with session_inactive", async (t) => {
  const s = await server(t);
  const err = await trpcError(client(s).session.whoami.query());
  assert.equal(err.data.code, "UNAUTHORIZED");
  assert.equal(err.data.httpStatus, 401);
  assert.equal(err.data.kratos.error.id, "session_inactive");
  const rest = await restJson(s, "/sessions/whoami");
  assert.equal(rest.status, 401);
  assert.deepEqual(err.data.kratos, rest.body);
  assert.equal(isRefreshRequired(err), undefined);

  // On the wire: the HTTP status is REST's, the body tRPC's error with data.kratos.
  const raw = await fetch(url(s, "/trpc/session.whoami"));
  assert.equal(raw.status, 401);
  const json = (await raw.json()) as { error: { data: { kratos: { error: { id: string } } } } };
  assert.equal(json.error.data.kratos.error.id, "session_inactive");
});

test("an expired flow: PRECONDITION_FAILED with httpStatus 410 and use_flow_id, like REST", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const flow = await trpc.login.create.mutate({ type: "api" });
  s.clock.advance(2 * 60 * 60 * 1000);
  const body = { method: "password" as const, identifier: "ada@example.com", password: PASSWORD };
  const err = await trpcError(trpc.login.submit.mutate({ flow: flow.id, body }));
  assert.equal(err.data.code, "PRECONDITION_FAILED");
  assert.equal(err.data.httpStatus, 410);
  assert.equal(err.data.kratos.error.id, "self_service_flow_expired");
  assert.ok(err.data.kratos.use_flow_id);
  const replacement = await trpc.login.get.query({ id: err.data.kratos.use_flow_id! });
  assert.deepEqual(globalMessageIds(replacement), [4010001]);
});

test("login with refresh keeps the session id and moves authenticated_at", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const reg = await trpc.registration.create.mutate({ type: "api" });
  const res = await trpc.registration.submit.mutate({
    flow: reg.id,
    body: { method: "password", password: PASSWORD, traits: traits() },
  });
  assert.equal(res.status, "success");
  const token = res.status === "success" ? res.session_token! : "";
  const authed = client(s, { sessionToken: token });
  const before = await authed.session.whoami.query();
  s.clock.advance(60_000);
  const flow = await authed.login.create.mutate({ type: "api", refresh: true });
  assert.equal(flow.refresh, true);
  assert.equal(flow.request_url, url(s, "/self-service/login/api?refresh=true"));
  const ok = await authed.login.submit.mutate({
    flow: flow.id,
    body: { method: "password", identifier: "ada@example.com", password: PASSWORD },
  });
  assert.equal(ok.status, "success");
  if (ok.status !== "success") return;
  assert.equal(ok.session.id, before.id);
  assert.notEqual(ok.session.authenticated_at, before.authenticated_at);
});

test("sessions: list, revokeOthers, revoke and api logout with the token", async (t) => {
  const s = await server(t);
  const trpc = client(s);
  const reg = await trpc.registration.create.mutate({ type: "api" });
  const res = await trpc.registration.submit.mutate({
    flow: reg.id,
    body: { method: "password", password: PASSWORD, traits: traits() },
  });
  const first = res.status === "success" ? res.session_token! : "";
  const tokens: string[] = [];
  for (let i = 0; i < 3; i++) {
    const flow = await trpc.login.create.mutate({ type: "api" });
    const ok = await trpc.login.submit.mutate({
      flow: flow.id,
      body: { method: "password", identifier: "ada@example.com", password: PASSWORD },
    });
    tokens.push(ok.status === "success" ? ok.session_token! : "");
  }
  const me = client(s, { sessionToken: first });
  const others = await me.session.list.query();
  assert.equal(others.length, 3);
  const restList = await restJson(s, "/sessions", { headers: { "x-session-token": first } });
  assert.deepEqual(restList.body, others);

  await me.session.revoke.mutate({ id: others[0]!.id });
  const self = await me.session.whoami.query();
  const cannot = await trpcError(me.session.revoke.mutate({ id: self.id }));
  assert.equal(cannot.data.code, "BAD_REQUEST");
  assert.deepEqual(await me.session.revokeOthers.mutate(), { count: 2 });
  assert.deepEqual(await me.session.list.query(), []);

  // api logout by token (DELETE /self-service/logout/api), then a second time: 403 like REST.
  await trpc.session.logout.mutate({ sessionToken: first });
  const again = await trpcError(trpc.session.logout.mutate({ sessionToken: first }));
  assert.equal(again.data.code, "FORBIDDEN");
  assert.equal((await trpcError(me.session.whoami.query())).data.kratos.error.id, "session_inactive");
});

test("a batch shares one request context: two browser flows, one CSRF cookie", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  let requests = 0;
  const counting: typeof fetch = (input, init) => {
    requests++;
    return jar.fetch(input, init);
  };
  const trpc = (await import("../../client/index.ts")).createTesseraClient({
    url: s.publicUrl,
    fetch: counting,
  });
  const [reg, login] = await Promise.all([
    trpc.registration.create.mutate({ type: "browser" }),
    trpc.login.create.mutate({ type: "browser" }),
  ]);
  assert.equal(requests, 1, "httpBatchLink sent one request");
  assert.equal([...jar.cookies.keys()].filter((k) => k.startsWith("csrf_token_")).length, 1);
  // Both flows verify against that one cookie.
  assert.equal((await trpc.registration.get.query({ id: reg.id })).id, reg.id);
  assert.equal((await trpc.login.get.query({ id: login.id })).id, login.id);
});

test("typed input errors are BAD_REQUEST with an envelope; non-JSON posts are refused", async (t) => {
  const s = await server(t);
  const raw = await fetch(url(s, "/trpc/registration.submit"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ flow: 42 }),
  });
  assert.equal(raw.status, 400);
  const json = (await raw.json()) as {
    error: { data: { code: string; kratos: { error: { code: number } } } };
  };
  assert.equal(json.error.data.code, "BAD_REQUEST");
  assert.equal(json.error.data.kratos.error.code, 400);

  // A cross-site HTML form can post multipart/form-data without a preflight; tRPC must not take it.
  const fd = new FormData();
  fd.set("x", "y");
  const multipart = await fetch(url(s, "/trpc/session.revokeOthers"), { method: "POST", body: fd });
  assert.equal(multipart.status, 415);

  const unknown = await fetch(url(s, "/trpc/nope.nothing"));
  assert.equal(unknown.status, 404);
  const mutationByGet = await fetch(url(s, "/trpc/session.revokeOthers"));
  assert.equal(mutationByGet.status, 405);
});
