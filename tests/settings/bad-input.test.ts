import assert from "node:assert/strict";
import { request } from "node:http";
import { test } from "node:test";
import {
  apiFlow,
  assertUnchanged,
  browserFlow,
  csrfOf,
  errorOf,
  fetchFlow,
  flowIdFromUiRedirect,
  flowOf,
  globalMessages,
  type Json,
  jsonBody,
  nodeOf,
  registerApi,
  registerBrowser,
  server,
  snapshot,
  spaFlow,
  submitUrl,
  type TestServer,
} from "./helpers.ts";

// Bad input on submit (contract §4.4.1 step 6 note, §0.3, §9.3): every case is a documented
// status, never a 500, and never changes the identity.

async function apiSetup(t: Parameters<typeof server>[0]) {
  const s = await server(t);
  const user = await registerApi(s);
  const before = await snapshot(s, user.identityId);
  const flow = await apiFlow(s, user.token);
  return { s, user, before, flow };
}

/** Asserts a 400 flow whose only global message is 4000001 with `reason`. */
async function assertRendered400(res: Response, reason: string | RegExp): Promise<Json> {
  assert.equal(res.status, 400, await res.clone().text());
  const rendered = await flowOf(res);
  const messages = globalMessages(rendered);
  assert.equal(messages.length, 1, JSON.stringify(messages));
  assert.equal(messages[0]!.id, 4000001);
  assert.equal(messages[0]!.type, "error");
  if (typeof reason === "string") {
    assert.equal(messages[0]!.text, reason);
    assert.deepEqual(messages[0]!.context, { reason });
  } else {
    assert.match(messages[0]!.text, reason);
  }
  return rendered;
}

test("malformed JSON: 400 flow with a 4000001 decode message", async (t) => {
  const { s, user, before, flow } = await apiSetup(t);
  const res = await fetch(submitUrl(s, flow.id), {
    method: "POST",
    headers: { "content-type": "application/json", "x-session-token": user.token },
    body: '{"method":"profile","traits":{',
  });
  await assertRendered400(res, /JSON/);
  await assertUnchanged(s, before);
});

test("a JSON body that is not an object: 400 flow", async (t) => {
  const { s, user, before, flow } = await apiSetup(t);
  const res = await fetch(
    submitUrl(s, flow.id),
    jsonBody(["method", "profile"], { "x-session-token": user.token }),
  );
  await assertRendered400(res, "Expected JSON sent in request body to be an object but got: JSON");
  await assertUnchanged(s, before);
});

test("an empty body: 400 flow 'Content-Length is zero'", async (t) => {
  const { s, user, before, flow } = await apiSetup(t);
  const res = await fetch(submitUrl(s, flow.id), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      "x-session-token": user.token,
    },
  });
  await assertRendered400(
    res,
    'Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.',
  );
  await assertUnchanged(s, before);
});

test("an unsupported content type: 400 flow (JSON) / 303 to the UI with the message (browser)", async (t) => {
  const { s, user, before, flow } = await apiSetup(t);
  const res = await fetch(submitUrl(s, flow.id), {
    method: "POST",
    headers: { "content-type": "text/plain", "x-session-token": user.token },
    body: "method=profile",
  });
  await assertRendered400(
    res,
    'HTTP POST Request used unknown HTTP Header "Content-Type: text/plain", only [multipart/form-data application/x-www-form-urlencoded application/json] are supported.',
  );
  await assertUnchanged(s, before);

  const browser = await registerBrowser(s, "eve@example.com");
  const browserBefore = await snapshot(s, browser.identityId);
  const bflow = await browserFlow(s, browser.jar);
  const html = await browser.jar.fetch(submitUrl(s, bflow.id), {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: `method=profile&csrf_token=${encodeURIComponent(csrfOf(bflow as never))}`,
  });
  assert.equal(flowIdFromUiRedirect(s, html), bflow.id);
  const rendered = await fetchFlow(s, browser.jar, String(bflow.id));
  assert.deepEqual(
    globalMessages(rendered).map((m) => m.id),
    [4000001],
  );
  await assertUnchanged(s, browserBefore);
});

/** Posts a raw body with node:http (fetch would refuse to send a mismatched Content-Length). */
function rawPost(
  target: string,
  headers: Record<string, string | number>,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(target, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    // The server may answer before the whole body is sent and close the connection.
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ECONNRESET") resolve({ status: 0, text: err.code });
      else reject(err);
    });
    req.end(body);
  });
}

test("a body over 5 MiB: 400 flow, no 500 (declared length and chunked)", async (t) => {
  const { s, user, before, flow } = await apiSetup(t);
  const big = Buffer.from(
    JSON.stringify({
      method: "profile",
      traits: { email: "ada@example.com", name: { first: "x".repeat(5 * 1024 * 1024) } },
    }),
  );
  assert.ok(big.length > 5 * 1024 * 1024);
  const res = await fetch(submitUrl(s, flow.id), {
    method: "POST",
    headers: { "content-type": "application/json", "x-session-token": user.token },
    body: big,
  });
  await assertRendered400(res, /exceeds the maximum allowed size of 5242880 bytes/);
  await assertUnchanged(s, before);

  // Without a Content-Length (chunked), the limit is enforced while reading.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < big.length; i += 1 << 20) controller.enqueue(big.subarray(i, i + (1 << 20)));
      controller.close();
    },
  });
  const chunked = await fetch(submitUrl(s, flow.id), {
    method: "POST",
    headers: { "content-type": "application/json", "x-session-token": user.token },
    body: stream,
    duplex: "half",
  } as RequestInit);
  await assertRendered400(chunked, /exceeds the maximum allowed size/);

  // A lying Content-Length header is refused up front.
  const lying = await rawPost(
    submitUrl(s, flow.id),
    {
      "content-type": "application/json",
      "x-session-token": user.token,
      "content-length": 6 * 1024 * 1024,
    },
    Buffer.from("{}"),
  );
  assert.ok(lying.status === 400 || lying.status === 0, `status ${lying.status}`);
  await assertUnchanged(s, before);
});

const COOKIE_REASON =
  'The HTTP Request Header included the "Cookie" key, indicating that this request was made by a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.';
const ORIGIN_REASON =
  'The HTTP Request Header included the "Origin" key, indicating that this request was made as part of an AJAX request in a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.';

async function submitApiWith(s: TestServer, token: string, flowId: unknown, headers: Record<string, string>) {
  return fetch(
    submitUrl(s, flowId),
    jsonBody(
      { method: "profile", traits: { email: "ada@example.com", name: { first: "Changed" } } },
      { "x-session-token": token, ...headers },
    ),
  );
}

test("an api flow submitted with a Cookie header: 400 flow with the Cookie reason (§9.3)", async (t) => {
  const { s, user, before, flow } = await apiSetup(t);
  const res = await submitApiWith(s, user.token, flow.id, { cookie: "some_cookie=1" });
  await assertRendered400(res, COOKIE_REASON);
  assert.deepEqual(res.headers.getSetCookie(), [], "api flows set no cookies");
  await assertUnchanged(s, before);

  // Cloudflare's own cookies are tolerated.
  const ok = await submitApiWith(s, user.token, flow.id, {
    cookie: "__cf_bm=abc; cf_clearance=x; _cfuvid=y",
  });
  assert.equal(ok.status, 200, await ok.clone().text());
});

test("an api flow submitted with an Origin header: 400 flow with the Origin reason (§9.3)", async (t) => {
  const { s, user, before, flow } = await apiSetup(t);
  const res = await submitApiWith(s, user.token, flow.id, { origin: "https://spa.example" });
  const rendered = await assertRendered400(res, ORIGIN_REASON);
  // The profile values submitted are echoed like any other rendered error.
  assert.equal(nodeOf(rendered, "traits.name.first").attributes.value, "Changed");
  await assertUnchanged(s, before);
});

test("an api flow with a Cookie header still reports schema errors first (validation before CSRF)", async (t) => {
  const { s, user, before, flow } = await apiSetup(t);
  const res = await fetch(
    submitUrl(s, flow.id),
    jsonBody(
      { method: "profile", traits: { email: "not-an-email" } },
      { "x-session-token": user.token, cookie: "tracking=1" },
    ),
  );
  assert.equal(res.status, 400);
  const rendered = await flowOf(res);
  assert.deepEqual(
    nodeOf(rendered, "traits.email").messages.map((m) => m.id),
    [4000040],
  );
  assert.deepEqual(globalMessages(rendered), []);
  await assertUnchanged(s, before);
});

test("an SPA JSON submission without any CSRF token: 403 with the missing-token hint", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await spaFlow(s, user.jar);
  const res = await user.jar.fetch(
    submitUrl(s, flow.id),
    jsonBody({ method: "password", password: "Brand-new-password-4711" }, { "sec-fetch-mode": "cors" }),
  );
  assert.equal(res.status, 403);
  const error = await errorOf(res);
  assert.equal(error.id, "security_csrf_violation");
  assert.equal(error.code, 403);
  assert.deepEqual(error.details, {
    docs: "https://www.ory.com/docs/troubleshooting/csrf",
    hint: "The anti-CSRF cookie was found but the CSRF token was not included in the HTTP request body (csrf_token) nor in the HTTP Header (X-CSRF-Token).",
  });
  await assertUnchanged(s, before);
});

test("a browser form post without any cookies at all: 302 to the login UI (no session)", async (t) => {
  const s = await server(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const flow = await browserFlow(s, user.jar);
  const res = await fetch(submitUrl(s, flow.id), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "method=profile&traits.email=x%40example.com",
    redirect: "manual",
  });
  assert.equal(res.status, 302);
  await assertUnchanged(s, before);
});
