import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bodyOf,
  browserLogin,
  CookieJar,
  csrfOf,
  form,
  frontend,
  JSON_ACCEPT,
  jsonBody,
  PASSWORD,
  registerNative,
  server,
  traits,
  url,
} from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import type { TestServer } from "../helpers/server.ts";

async function identityCount(s: TestServer): Promise<number> {
  return (await s.store.listIdentities({ pageSize: 10 })).identities.length;
}

type GenericErrorBody = { error: { id?: string; code: number; reason?: string; message: string } };

async function errorOf(res: Response): Promise<GenericErrorBody["error"]> {
  const body = await bodyOf(res);
  assertSchema("errorGeneric", body);
  const error = (body as GenericErrorBody).error;
  assert.equal(error.code, res.status);
  if (error.id) assert.equal(res.headers.get("ory-error-id"), error.id);
  return error;
}

/** A 4000001 global message whose text is the decoder's reason. */
function reasonOf(flow: unknown): string {
  const messages = (flow as { ui: { messages?: { id: number; text: string }[] } }).ui.messages ?? [];
  assert.deepEqual(
    messages.map((m) => m.id),
    [4000001],
  );
  return messages[0]!.text;
}

test("malformed JSON on a registration submission: 400 flow with 4000001, nothing written", async (t) => {
  const s = await server(t);
  const flow = await frontend(s).createNativeRegistrationFlow();
  const res = await fetch(url(s, `/self-service/registration?flow=${flow.id}`), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: '{"method":"password","traits":{"email":',
  });
  assert.equal(res.status, 400);
  const body = await bodyOf(res);
  assertSchema("registrationFlow", body);
  assert.match(reasonOf(body), /JSON/);
  assert.equal(await identityCount(s), 0);
});

test("a JSON body that is not an object names no method: login 4010002, registration 4010003 (§16.1 step 4)", async (t) => {
  const s = await server(t);
  const ids = (flow: unknown) =>
    ((flow as { ui: { messages?: { id: number }[] } }).ui.messages ?? []).map((m) => m.id);
  for (const [kind, expected] of [
    ["login", 4010002],
    ["registration", 4010003],
  ] as const) {
    const flow =
      kind === "login"
        ? await frontend(s).createNativeLoginFlow()
        : await frontend(s).createNativeRegistrationFlow();
    for (const body of ["[]", '"password"', "42", "null"]) {
      const res = await fetch(url(s, `/self-service/${kind}?flow=${flow.id}`), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body,
      });
      assert.equal(res.status, 400, `${kind} ${body}`);
      const answer = await bodyOf(res);
      assertSchema(kind === "login" ? "loginFlow" : "registrationFlow", answer);
      assert.deepEqual(ids(answer), [expected], `${kind} ${body}`);
    }
  }
  assert.equal(await identityCount(s), 0);
});

test("malformed JSON where no flow can hold it (native logout): 400 error JSON", async (t) => {
  const s = await server(t);
  const res = await fetch(url(s, "/self-service/logout/api"), {
    method: "DELETE",
    headers: { "content-type": "application/json" },
    body: "{nope",
  });
  assert.equal(res.status, 400);
  await errorOf(res);
});

test("an unsupported content type (text/plain) on a login submission: 400 flow with 4000001", async (t) => {
  const s = await server(t);
  await registerNative(s);
  const flow = await frontend(s).createNativeLoginFlow();
  const res = await fetch(url(s, `/self-service/login?flow=${flow.id}`), {
    method: "POST",
    headers: { "content-type": "text/plain", accept: "application/json" },
    body: "method=password&identifier=ada@example.com&password=x",
  });
  assert.equal(res.status, 400);
  const body = await bodyOf(res);
  assertSchema("loginFlow", body);
  assert.equal(
    reasonOf(body),
    'HTTP POST Request used unknown HTTP Header "Content-Type: text/plain", only [multipart/form-data application/x-www-form-urlencoded application/json] are supported.',
  );
});

test("a body over 5 MiB on a registration submission: 400 flow with 4000001, no 500, nothing written", async (t) => {
  const s = await server(t);
  const flow = await frontend(s).createNativeRegistrationFlow();
  const big = JSON.stringify({
    method: "password",
    password: PASSWORD,
    traits: { ...traits(), name: { first: "x".repeat(5 * 1024 * 1024 + 10), last: "y" } },
  });
  const res = await fetch(url(s, `/self-service/registration?flow=${flow.id}`), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: big,
  });
  assert.equal(res.status, 400);
  const body = await bodyOf(res);
  assertSchema("registrationFlow", body);
  assert.match(reasonOf(body), /size|large|exceed/i);
  assert.equal(await identityCount(s), 0);

  // The server still serves afterwards.
  assert.equal((await fetch(url(s, "/health/alive"))).status, 200);
});

test("a chunked body over 5 MiB (no Content-Length) is refused the same way", async (t) => {
  const s = await server(t);
  const flow = await frontend(s).createNativeRegistrationFlow();
  const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode('{"method":"password","x":"'));
      if (sent >= 7) {
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
        return;
      }
      sent++;
      controller.enqueue(chunk);
    },
  });
  const res = await fetch(url(s, `/self-service/registration?flow=${flow.id}`), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: stream,
    duplex: "half",
  } as RequestInit);
  assert.equal(res.status, 400);
  reasonOf(await bodyOf(res));
  assert.equal(await identityCount(s), 0);
});

test("an unknown flow id: 404 on fetch and on submission", async (t) => {
  const s = await server(t);
  const id = crypto.randomUUID();
  for (const kind of ["login", "registration"]) {
    const fetched = await fetch(url(s, `/self-service/${kind}/flows?id=${id}`));
    assert.equal(fetched.status, 404, kind);
    await errorOf(fetched);
    const submitted = await fetch(
      url(s, `/self-service/${kind}?flow=${id}`),
      jsonBody({ method: "password", identifier: "a@b.c", password: PASSWORD, traits: traits() }),
    );
    assert.equal(submitted.status, 404, kind);
    await errorOf(submitted);
  }
  assert.equal(await identityCount(s), 0);
});

test("a non-UUID flow id: 404 on fetch, 400 'missing or malformed' on submission", async (t) => {
  const s = await server(t);
  for (const kind of ["login", "registration"]) {
    const fetched = await fetch(url(s, `/self-service/${kind}/flows?id=not-a-uuid`));
    assert.equal(fetched.status, 404, kind);
    await errorOf(fetched);
    const noId = await fetch(url(s, `/self-service/${kind}/flows`));
    assert.equal(noId.status, 404, kind);

    const submitted = await fetch(
      url(s, `/self-service/${kind}?flow=not-a-uuid`),
      jsonBody({ method: "password", identifier: "a@b.c", password: PASSWORD, traits: traits() }),
    );
    assert.equal(submitted.status, 400, kind);
    const error = await errorOf(submitted);
    assert.equal(error.reason, "The flow query parameter is missing or malformed.");
  }
  assert.equal(await identityCount(s), 0);
});

async function browserFlow(s: TestServer, jar: CookieJar, kind: "login" | "registration") {
  const init = await jar.fetch(url(s, `/self-service/${kind}/browser`), { headers: JSON_ACCEPT });
  assert.equal(init.status, 200);
  return (await init.json()) as { id: string; ui: { nodes: { attributes: Record<string, unknown> }[] } };
}

const CSRF_REASON =
  "Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.";

test("a missing CSRF token on a browser registration: JSON 403 security_csrf_violation, nothing written", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const flow = await browserFlow(s, jar, "registration");
  const res = await jar.fetch(
    url(s, `/self-service/registration?flow=${flow.id}`),
    jsonBody({ method: "password", password: PASSWORD, traits: traits() }),
  );
  assert.equal(res.status, 403);
  const error = await errorOf(res);
  assert.equal(error.id, "security_csrf_violation");
  assert.equal(error.reason, CSRF_REASON);
  assert.equal(error.message, "the request was rejected to protect you from Cross-Site-Request-Forgery");
  assert.equal(await identityCount(s), 0);
  assert.equal(jar.cookies.has("ory_kratos_session"), false);
});

test("a wrong CSRF token on a browser login: JSON 403 security_csrf_violation, no session", async (t) => {
  const s = await server(t);
  await registerNative(s);
  const jar = new CookieJar();
  const flow = await browserFlow(s, jar, "login");
  // A token that verifies against some other cookie.
  const other = await browserFlow(s, new CookieJar(), "login");
  const res = await jar.fetch(
    url(s, `/self-service/login?flow=${flow.id}`),
    jsonBody({
      method: "password",
      identifier: "ada@example.com",
      password: PASSWORD,
      csrf_token: csrfOf(other),
    }),
  );
  assert.equal(res.status, 403);
  const error = await errorOf(res);
  assert.equal(error.id, "security_csrf_violation");
  assert.match(
    String((error as { details?: { reject_reason?: string } }).details?.reject_reason),
    /do not match/,
  );
  assert.equal(jar.cookies.has("ory_kratos_session"), false);
});

test("a CSRF failure on a browser form post: 303 to the error UI; the error container returns it; unknown id 404", async (t) => {
  const s = await server(t, { selfservice: { flows: { error: { ui_url: "https://ui.example/error" } } } });
  await registerNative(s);
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/login/browser"));
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const res = await jar.fetch(
    url(s, `/self-service/login?flow=${flowId}`),
    form({ method: "password", identifier: "ada@example.com", password: PASSWORD, csrf_token: "bm9wZQ==" }),
  );
  assert.equal(res.status, 303);
  const location = new URL(res.headers.get("location")!);
  assert.equal(`${location.origin}${location.pathname}`, "https://ui.example/error");
  const errorId = location.searchParams.get("id")!;
  assert.ok(errorId);
  assert.equal(jar.cookies.has("ory_kratos_session"), false);

  const api = frontend(s);
  const raw = await api.getFlowErrorRaw({ id: errorId });
  assert.equal(raw.raw.status, 200);
  const container = await bodyOf(raw.raw.clone());
  assertSchema("flowError", container);
  assert.equal(container.id, errorId);
  const inner = container.error as { id: string; code: number; status: string; reason: string };
  assert.equal(inner.id, "security_csrf_violation");
  assert.equal(inner.code, 403);
  assert.equal(inner.status, "Forbidden");
  assert.equal(inner.reason, CSRF_REASON);
  assertSchema("genericError", inner);
  // `?error=` is accepted as well.
  assert.equal((await fetch(url(s, `/self-service/errors?error=${errorId}`))).status, 200);

  const unknown = await fetch(url(s, `/self-service/errors?id=${crypto.randomUUID()}`));
  assert.equal(unknown.status, 404);
  await errorOf(unknown);
  const garbage = await fetch(url(s, "/self-service/errors?id=not-a-uuid"));
  assert.equal(garbage.status, 404);
  const none = await fetch(url(s, "/self-service/errors"));
  assert.equal(none.status, 404);
});

test("a CSRF failure on a browser registration form post: 303 to the error UI and nothing written", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const init = await jar.fetch(url(s, "/self-service/registration/browser"));
  const flowId = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const res = await jar.fetch(
    url(s, `/self-service/registration?flow=${flowId}`),
    form({ method: "password", password: PASSWORD, "traits.email": "ada@example.com" }),
  );
  assert.equal(res.status, 303);
  const location = new URL(res.headers.get("location")!);
  assert.equal(`${location.origin}${location.pathname}`, url(s, "/ui/error"));
  const stored = await fetch(url(s, `/self-service/errors?id=${location.searchParams.get("id")}`));
  assert.equal(((await stored.json()) as { error: { id: string } }).error.id, "security_csrf_violation");
  assert.equal(await identityCount(s), 0);
});

test("fetching a browser flow without its CSRF cookie: 403 security_csrf_violation", async (t) => {
  const s = await server(t);
  const jar = new CookieJar();
  const flow = await browserFlow(s, jar, "registration");
  const res = await fetch(url(s, `/self-service/registration/flows?id=${flow.id}`));
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).id, "security_csrf_violation");
});

test("a hostile return_to: 400 self_service_flow_return_to_forbidden (JSON), error UI for browsers", async (t) => {
  const s = await server(t, { selfservice: { allowed_return_urls: ["https://app.example/"] } });
  const hostile = encodeURIComponent("https://evil.example/");
  for (const kind of ["login", "registration"]) {
    for (const type of ["browser", "api"]) {
      const res = await fetch(url(s, `/self-service/${kind}/${type}?return_to=${hostile}`), {
        headers: JSON_ACCEPT,
      });
      assert.equal(res.status, 400, `${kind}/${type}`);
      const error = await errorOf(res);
      assert.equal(error.id, "self_service_flow_return_to_forbidden");
      assert.equal(error.reason, 'Requested return_to URL "https://evil.example/" is not allowed.');
    }
    const browser = await fetch(url(s, `/self-service/${kind}/browser?return_to=${hostile}`), {
      redirect: "manual",
    });
    assert.equal(browser.status, 303);
    const location = new URL(browser.headers.get("location")!);
    assert.equal(`${location.origin}${location.pathname}`, url(s, "/ui/error"));
    const stored = await fetch(url(s, `/self-service/errors?id=${location.searchParams.get("id")}`));
    assert.equal(
      ((await stored.json()) as { error: { id: string } }).error.id,
      "self_service_flow_return_to_forbidden",
    );
  }
  // Look-alikes of an allowed URL are refused too; the allowed one and relative paths pass.
  for (const bad of ["https://app.example.evil.example/", "http://app.example/", "//evil.example/"]) {
    const res = await fetch(url(s, `/self-service/login/browser?return_to=${encodeURIComponent(bad)}`), {
      headers: JSON_ACCEPT,
    });
    assert.equal(res.status, 400, bad);
  }
  const ok = await fetch(
    url(s, `/self-service/login/browser?return_to=${encodeURIComponent("https://app.example/x")}`),
    { headers: JSON_ACCEPT },
  );
  assert.equal(ok.status, 200);
  // Logout too.
  const jar = new CookieJar();
  await registerNative(s);
  await browserLogin(s, jar);
  const logout = await jar.fetch(url(s, `/self-service/logout/browser?return_to=${hostile}`), {
    headers: JSON_ACCEPT,
  });
  assert.equal(logout.status, 400);
  assert.equal((await errorOf(logout)).id, "self_service_flow_return_to_forbidden");
});

test("an unknown HTTP method on a known path: 405 JSON, never 500", async (t) => {
  const s = await server(t);
  for (const [method, path] of [
    ["PUT", "/self-service/login/browser"],
    ["DELETE", "/self-service/registration"],
    ["POST", "/health/alive"],
    ["PATCH", "/self-service/login/flows"],
    ["GET", "/self-service/logout/api"],
  ] as const) {
    const res = await fetch(url(s, path), { method });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.ok(res.headers.get("allow"), "an Allow header lists the methods");
    await errorOf(res);
  }
});

test("an api flow submitted with a browser cookie or Origin: 400 flow with 4000001 (contract §9.3)", async (t) => {
  const s = await server(t);
  await registerNative(s, "grace@example.com");
  const api = frontend(s);
  const login = await api.createNativeLoginFlow();
  const withCookie = await fetch(url(s, `/self-service/login?flow=${login.id}`), {
    ...jsonBody({ method: "password", identifier: "grace@example.com", password: PASSWORD }),
    headers: { "content-type": "application/json", cookie: "some_cookie=1; __cfduid=2" },
  });
  assert.equal(withCookie.status, 400);
  const body = await bodyOf(withCookie);
  assertSchema("loginFlow", body);
  assert.match(reasonOf(body), /included the "Cookie" key/);

  const reg = await api.createNativeRegistrationFlow();
  const withOrigin = await fetch(url(s, `/self-service/registration?flow=${reg.id}`), {
    ...jsonBody({ method: "password", password: PASSWORD, traits: traits() }),
    headers: { "content-type": "application/json", origin: "https://app.example" },
  });
  assert.equal(withOrigin.status, 400);
  assert.match(reasonOf(await bodyOf(withOrigin)), /included the "Origin" key/);
  assert.equal(await identityCount(s), 1);

  // Cloudflare cookies are tolerated, and an invalid csrf_token in an api flow is ignored.
  const cf = await fetch(url(s, `/self-service/login?flow=${login.id}`), {
    ...jsonBody({ method: "password", identifier: "grace@example.com", password: PASSWORD, csrf_token: "x" }),
    headers: { "content-type": "application/json", cookie: "__cfduid=2; cf_clearance=3" },
  });
  assert.equal(cf.status, 200);
});

test("no 500 on odd but well-formed input: empty body, missing method, wrong JSON types", async (t) => {
  const s = await server(t);
  const api = frontend(s);
  const reg = await api.createNativeRegistrationFlow();
  const empty = await fetch(url(s, `/self-service/registration?flow=${reg.id}`), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
  });
  assert.equal(empty.status, 400);
  assert.equal(
    reasonOf(await bodyOf(empty)),
    'Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.',
  );
  const noMethod = await fetch(
    url(s, `/self-service/registration?flow=${reg.id}`),
    jsonBody({ password: PASSWORD, traits: traits() }),
  );
  assert.equal(noMethod.status, 400);
  assertSchema("registrationFlow", await bodyOf(noMethod));
  for (const payload of [
    [1, 2, 3],
    "text",
    null,
    { method: "password", password: PASSWORD, traits: "nope" },
    { method: "password", password: PASSWORD, traits: { ...traits(), email: { a: 1 } } },
  ]) {
    const res = await fetch(url(s, `/self-service/registration?flow=${reg.id}`), jsonBody(payload));
    assert.equal(res.status, 400, JSON.stringify(payload));
    assertSchema("registrationFlow", await bodyOf(res));
  }
  const login = await api.createNativeLoginFlow();
  for (const payload of [
    null,
    [1],
    { method: "password", identifier: { a: 1 }, password: PASSWORD },
    { method: "password", identifier: "a@b.c", password: 12345678 },
    { method: "totp", identifier: "a@b.c", password: PASSWORD },
  ]) {
    const res = await fetch(url(s, `/self-service/login?flow=${login.id}`), jsonBody(payload));
    assert.equal(res.status, 400, JSON.stringify(payload));
    assertSchema("loginFlow", await bodyOf(res));
  }
  assert.equal(await identityCount(s), 0);
});

test("an OIDC callback POST with fields too large for a URL is a 400, not a Location no client reads", async (t) => {
  const s = await server(t);
  const post = (body: string, accept?: string) =>
    fetch(url(s, "/self-service/methods/oidc/callback/github"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(accept ? { accept } : {}) },
      body,
      redirect: "manual",
    });
  // A form_post of normal size is carried to the GET.
  const small = await post(new URLSearchParams({ code: "c".repeat(64), state: "s".repeat(64) }).toString());
  assert.equal(small.status, 302);
  assert.match(small.headers.get("location") ?? "", /\?code=c+&state=s+$/);

  const huge = new URLSearchParams({ code: "c", id_token: "x".repeat(100_000) }).toString();
  const refused = await post(huge, "application/json");
  assert.equal(refused.status, 400);
  const body = await bodyOf(refused);
  assertSchema("errorGeneric", body);
  assert.equal(refused.headers.get("location"), null);
  // A browser is sent to the error page with a short Location.
  const browser = await post(huge);
  assert.ok(browser.status === 303 || browser.status === 400, String(browser.status));
  assert.ok((browser.headers.get("location") ?? "").length < 8192);
});
