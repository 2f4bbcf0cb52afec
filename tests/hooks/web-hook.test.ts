import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, it } from "node:test";
import {
  buildTemplateContext,
  callWebHook,
  isPrePersist,
  pointerToPath,
  type WebHookConfig,
  type WebHookContext,
} from "../../server/hooks/web-hook.ts";
import { HttpError } from "../../server/request/errors.ts";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

interface TestServer {
  url: string;
  received: Received[];
  /** Resolves with the first request once its body has arrived. */
  firstRequest: Promise<Received>;
  close(): Promise<void>;
}

const servers: TestServer[] = [];

/** A real HTTP server on 127.0.0.1:0 that records requests and answers through `handler`. */
async function startServer(
  handler: (req: Received, res: ServerResponse) => void = (_req, res) => res.end(),
): Promise<TestServer> {
  const received: Received[] = [];
  let resolveFirst!: (r: Received) => void;
  const firstRequest = new Promise<Received>((resolve) => {
    resolveFirst = resolve;
  });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(r);
      resolveFirst(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const ts: TestServer = {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    firstRequest,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(ts);
  return ts;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function config(url: string, extra: Partial<WebHookConfig> = {}): WebHookConfig {
  return {
    url,
    method: "POST",
    response: { ignore: false, parse: false },
    can_interrupt: false,
    ...extra,
  };
}

const FLOW = { id: "0b5c7a1e-1111-4f00-9000-000000000001", type: "browser", state: "show_form" };
const IDENTITY = { id: "9d1c…", schema_id: "default", traits: { email: "a@example.com" } };

function context(extra: Partial<WebHookContext> = {}): WebHookContext {
  return {
    flow: FLOW,
    identity: IDENTITY,
    request: {
      headers: new Headers({
        Accept: "text/html",
        "Accept-Language": "en-US,en;q=0.9",
        "User-Agent": "test-agent/1.0",
        Origin: "https://app.example.com",
        Cookie: "ory_kratos_session=secret; csrf=abc",
        Authorization: "Bearer secret",
        "X-Forwarded-For": "10.0.0.1",
        "X-Custom": "nope",
      }),
      method: "POST",
      url: "https://id.example.com/self-service/settings?flow=1",
      cookies: { ory_kratos_session: "secret", csrf: "abc" },
    },
    ...extra,
  };
}

const deps = { fetch };

async function rejectsWith(promise: Promise<unknown>, code: number, check?: (e: HttpError) => void) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof HttpError, `expected HttpError, got ${String(err)}`);
    assert.equal(err.code, code);
    check?.(err);
    return true;
  });
}

describe("callWebHook: the request", () => {
  it("POSTs the template context as JSON with the configured headers", async () => {
    const srv = await startServer();
    const result = await callWebHook(
      config(srv.url, { headers: { "X-Api-Version": "2" } }),
      context({ session: { id: "s1", active: true } }),
      deps,
    );
    assert.deepEqual(result, { kind: "ok" });
    assert.equal(srv.received.length, 1);
    const got = srv.received[0]!;
    assert.equal(got.method, "POST");
    assert.equal(got.url, "/hook");
    assert.equal(got.headers["content-type"], "application/json");
    assert.equal(got.headers["x-api-version"], "2");
    const body = JSON.parse(got.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), [
      "flow",
      "request_headers",
      "request_method",
      "request_url",
      "request_cookies",
      "identity",
      "session",
    ]);
    assert.deepEqual(body.flow, FLOW);
    assert.equal(body.request_method, "POST");
    assert.equal(body.request_url, "https://id.example.com/self-service/settings?flow=1");
    assert.deepEqual(body.request_cookies, { csrf: "abc", ory_kratos_session: "secret" });
    assert.deepEqual(body.identity, IDENTITY);
    assert.deepEqual(body.session, { id: "s1", active: true });
  });

  it("forwards only allow-listed request headers, as name -> [value]", async () => {
    const srv = await startServer();
    await callWebHook(config(srv.url), context(), deps);
    const body = JSON.parse(srv.received[0]!.body) as { request_headers: Record<string, string[]> };
    assert.deepEqual(body.request_headers, {
      Accept: ["text/html"],
      "Accept-Language": ["en-US,en;q=0.9"],
      Origin: ["https://app.example.com"],
      "User-Agent": ["test-agent/1.0"],
    });
  });

  it("uses a configured header allowlist instead of the default", async () => {
    const srv = await startServer();
    await callWebHook(config(srv.url), context(), { fetch, headerAllowlist: ["X-Custom", "accept"] });
    const body = JSON.parse(srv.received[0]!.body) as { request_headers: Record<string, string[]> };
    assert.deepEqual(body.request_headers, { "X-Custom": ["nope"], accept: ["text/html"] });
  });

  it("omits identity and session when the hook has none (before hooks)", async () => {
    const srv = await startServer();
    await callWebHook(config(srv.url), context({ identity: undefined }), deps);
    const body = JSON.parse(srv.received[0]!.body) as Record<string, unknown>;
    assert.equal("identity" in body, false);
    assert.equal("session" in body, false);
  });

  it("uses the configured method", async () => {
    const srv = await startServer();
    await callWebHook(config(srv.url, { method: "PUT" }), context(), deps);
    assert.equal(srv.received[0]!.method, "PUT");
    assert.ok(srv.received[0]!.body.length > 0);
  });

  it("sends GET without a body (fetch cannot carry one)", async () => {
    const srv = await startServer();
    await callWebHook(config(srv.url, { method: "GET" }), context(), deps);
    assert.equal(srv.received[0]!.method, "GET");
    assert.equal(srv.received[0]!.body, "");
  });

  it("refuses TRACE, which fetch cannot send", async () => {
    const srv = await startServer();
    await rejectsWith(callWebHook(config(srv.url, { method: "TRACE" }), context(), deps), 500);
    assert.equal(srv.received.length, 0);
  });

  it("authenticates with an api key header", async () => {
    const srv = await startServer();
    await callWebHook(
      config(srv.url, {
        auth: { type: "api_key", config: { name: "X-Api-Key", value: "k3y", in: "header" } },
      }),
      context(),
      deps,
    );
    assert.equal(srv.received[0]!.headers["x-api-key"], "k3y");
  });

  it("authenticates with an api key cookie, appended to configured cookies", async () => {
    const srv = await startServer();
    await callWebHook(
      config(srv.url, {
        headers: { Cookie: "a=1" },
        auth: { type: "api_key", config: { name: "hook_key", value: "k3y", in: "cookie" } },
      }),
      context(),
      deps,
    );
    assert.equal(srv.received[0]!.headers.cookie, "a=1; hook_key=k3y");
  });

  it("authenticates with basic auth", async () => {
    const srv = await startServer();
    await callWebHook(
      config(srv.url, { auth: { type: "basic_auth", config: { user: "hook", password: "pä:ss" } } }),
      context(),
      deps,
    );
    const expected = `Basic ${Buffer.from("hook:pä:ss", "utf8").toString("base64")}`;
    assert.equal(srv.received[0]!.headers.authorization, expected);
  });

  it("keeps a configured Content-Type and rejects one it cannot encode", async () => {
    const srv = await startServer();
    await rejectsWith(
      callWebHook(config(srv.url, { headers: { "Content-Type": "text/plain" } }), context(), deps),
      500,
      (e) => assert.equal(e.reason, "invalid config - incorrect Content-Type for request with body"),
    );
    assert.equal(srv.received.length, 0);
  });

  it("sends a form body when the template yields a flat string map", async () => {
    const srv = await startServer();
    await callWebHook(
      config(srv.url, {
        body: "base64://ignored",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      }),
      context(),
      {
        fetch,
        evaluateTemplate: async (_uri, ctx) => ({
          kind: "body",
          value: { method: String((ctx as { request_method: string }).request_method), b: "x y" },
        }),
      },
    );
    assert.equal(srv.received[0]!.headers["content-type"], "application/x-www-form-urlencoded");
    assert.equal(srv.received[0]!.body, "b=x+y&method=POST");
  });
});

describe("callWebHook: body templates", () => {
  it("fails at call time for a template it cannot evaluate, without calling the target", async () => {
    const srv = await startServer();
    await rejectsWith(
      callWebHook(config(srv.url, { body: "base64://ZnVuY3Rpb24oY3R4KSBjdHg=" }), context(), deps),
      500,
      (e) => assert.match(e.reason ?? "", /cannot evaluate jsonnet/),
    );
    assert.equal(srv.received.length, 0);
  });

  it("skips the call when the template cancels it", async () => {
    const srv = await startServer();
    const result = await callWebHook(config(srv.url, { body: "file:///cancel.jsonnet" }), context(), {
      fetch,
      evaluateTemplate: async () => ({ kind: "cancel" }),
    });
    assert.deepEqual(result, { kind: "ok" });
    assert.equal(srv.received.length, 0);
  });

  it("hands the evaluator the template URI and the context", async () => {
    const srv = await startServer();
    let seen: { uri: string | undefined; ctx: object } | undefined;
    await callWebHook(config(srv.url, { body: "file:///t.jsonnet" }), context(), {
      fetch,
      evaluateTemplate: async (uri, ctx) => {
        seen = { uri, ctx };
        return { kind: "body", value: { email: "a@example.com" } };
      },
    });
    assert.equal(seen?.uri, "file:///t.jsonnet");
    assert.deepEqual(seen?.ctx, buildTemplateContext(context()));
    assert.deepEqual(JSON.parse(srv.received[0]!.body), { email: "a@example.com" });
  });
});

describe("callWebHook: the answer", () => {
  const MESSAGES = {
    messages: [
      {
        instance_ptr: "#/traits/email",
        messages: [
          { id: 123, text: "email already taken", type: "error", context: { value: "a@example.com" } },
          { id: 124, text: "just so you know", type: "validation" },
        ],
      },
      { instance_ptr: "", messages: [{ id: 4000, text: "global problem", type: "error" }] },
      { instance_ptr: "#/traits/name~1full", messages: [{ id: 5, text: "odd key", type: "info" }] },
    ],
  };

  it("parse=true and a 400 with messages => issues with node paths", async () => {
    const srv = await startServer((_req, res) => json(res, 400, MESSAGES));
    const result = await callWebHook(
      config(srv.url, { response: { ignore: false, parse: true } }),
      context(),
      deps,
    );
    assert.deepEqual(result, {
      kind: "messages",
      issues: [
        {
          path: "traits.email",
          message: {
            id: 123,
            text: "email already taken",
            type: "error",
            context: { value: "a@example.com" },
          },
        },
        { path: "traits.email", message: { id: 124, text: "just so you know", type: "info" } },
        { path: "", message: { id: 4000, text: "global problem", type: "error" } },
        { path: "traits.name/full", message: { id: 5, text: "odd key", type: "info" } },
      ],
    });
  });

  it("can_interrupt=true also parses error answers", async () => {
    const srv = await startServer((_req, res) => json(res, 409, MESSAGES));
    const result = await callWebHook(config(srv.url, { can_interrupt: true }), context(), deps);
    assert.equal(result.kind, "messages");
  });

  it("parse=false and a 500 => 502 'webhook failed with status code 500'", async () => {
    const srv = await startServer((_req, res) => json(res, 500, MESSAGES));
    await rejectsWith(callWebHook(config(srv.url), context(), deps), 502, (e) => {
      assert.equal(e.message, "webhook failed with status code 500");
      assert.equal(e.reason, "A third-party upstream service responded improperly. Please try again later.");
      assert.deepEqual(e.toEnvelope(), {
        error: {
          code: 502,
          status: "Bad Gateway",
          reason: "A third-party upstream service responded improperly. Please try again later.",
          message: "webhook failed with status code 500",
        },
      });
    });
  });

  for (const [label, body] of [
    ["not JSON", "<html>oops</html>"],
    ["no messages", "{}"],
    ["an empty message list", '{"messages":[]}'],
    ["badly typed messages", '{"messages":[{"instance_ptr":"#/a","messages":[{"id":"x"}]}]}'],
  ] as const) {
    it(`parse=true and a 400 with ${label} => 502`, async () => {
      const srv = await startServer((_req, res) => {
        res.writeHead(400);
        res.end(body);
      });
      await rejectsWith(
        callWebHook(config(srv.url, { response: { ignore: false, parse: true } }), context(), deps),
        502,
        (e) => assert.equal(e.message, "webhook failed with status code 400"),
      );
    });
  }

  it("parse=true and a 200 with an identity => a patch of the allowed fields only", async () => {
    const srv = await startServer((_req, res) =>
      json(res, 200, {
        identity: {
          id: "must-not-leak",
          credentials: { password: {} },
          traits: { email: "new@example.com" },
          schema_id: "",
          state: "inactive",
          verifiable_addresses: [],
          recovery_addresses: [{ value: "new@example.com", via: "email" }],
          metadata_public: { plan: "pro" },
          metadata_admin: null,
          external_id: "ext-1",
        },
      }),
    );
    const result = await callWebHook(
      config(srv.url, { response: { ignore: false, parse: true } }),
      context(),
      deps,
    );
    assert.deepEqual(result, {
      kind: "identity",
      patch: {
        traits: { email: "new@example.com" },
        state: "inactive",
        recovery_addresses: [{ value: "new@example.com", via: "email" }],
        metadata_public: { plan: "pro" },
        metadata_admin: null,
        external_id: "ext-1",
      },
    });
  });

  it("parse=true and a 200 without identity => ok", async () => {
    const srv = await startServer((_req, res) => json(res, 200, { hello: "world" }));
    const result = await callWebHook(
      config(srv.url, { response: { ignore: false, parse: true } }),
      context(),
      deps,
    );
    assert.deepEqual(result, { kind: "ok" });
  });

  it("parse=true and a 200 that is not JSON => 502", async () => {
    const srv = await startServer((_req, res) => res.end("plain text"));
    await rejectsWith(
      callWebHook(config(srv.url, { response: { ignore: false, parse: true } }), context(), deps),
      502,
      (e) => assert.equal(e.message, "webhook response could not be unmarshalled properly from JSON"),
    );
  });

  it("an identity in the answer is ignored without response.parse", async () => {
    const answer = { identity: { traits: { email: "x@example.com" } } };
    const srv = await startServer((_req, res) => json(res, 200, answer));
    assert.deepEqual(await callWebHook(config(srv.url), context(), deps), { kind: "ok" });
    assert.deepEqual(await callWebHook(config(srv.url, { can_interrupt: true }), context(), deps), {
      kind: "ok",
    });
  });

  it("204 => ok", async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const result = await callWebHook(
      config(srv.url, { response: { ignore: false, parse: true } }),
      context(),
      deps,
    );
    assert.deepEqual(result, { kind: "ok" });
  });

  it("refuses a response body over 5 MiB with a 502", async () => {
    const big = Buffer.alloc((5 << 20) + 16, 0x20); // valid JSON whitespace, but too much of it
    const srv = await startServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(big);
    });
    await rejectsWith(
      callWebHook(config(srv.url, { response: { ignore: false, parse: true } }), context(), deps),
      502,
      (e) => assert.match(e.message, /larger than 5242880 bytes/),
    );
  });

  it("refuses a chunked response body over 5 MiB (no Content-Length) with a 502", async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      for (let i = 0; i < 6; i++) res.write(chunk);
      res.end("{}");
    });
    await rejectsWith(
      callWebHook(config(srv.url, { response: { ignore: false, parse: true } }), context(), deps),
      502,
    );
  });
});

describe("callWebHook: ignore, network errors and timeouts", () => {
  it("response.ignore returns at once while the target still holds its answer", {
    timeout: 5000,
  }, async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let answered!: () => void;
    const answeredP = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const srv = await startServer((_req, res) => {
      void released.then(() => {
        res.writeHead(500);
        res.end("boom", answered);
      });
    });
    const result = await callWebHook(
      config(srv.url, { response: { ignore: true, parse: false } }),
      context(),
      deps,
    );
    assert.deepEqual(result, { kind: "ignored" });
    // The request really went out, and no answer had been given when callWebHook returned.
    const got = await srv.firstRequest;
    assert.equal(got.method, "POST");
    assert.equal(JSON.parse(got.body).request_method, "POST");
    release();
    await answeredP; // the 500 is swallowed: nothing rejects
  });

  it("response.ignore swallows a network error", async () => {
    const srv = await startServer();
    const url = srv.url;
    await srv.close();
    const result = await callWebHook(
      config(url, { response: { ignore: true, parse: false } }),
      context(),
      deps,
    );
    assert.deepEqual(result, { kind: "ignored" });
  });

  it("response.ignore together with parsing is a misconfiguration", async () => {
    const srv = await startServer();
    await rejectsWith(
      callWebHook(config(srv.url, { response: { ignore: true, parse: true } }), context(), deps),
      500,
      (e) =>
        assert.equal(
          e.reason,
          "A webhook is configured to ignore the response but also to parse the response. This is not possible.",
        ),
    );
    assert.equal(srv.received.length, 0);
  });

  it("an unreachable target => 502", async () => {
    const srv = await startServer();
    const url = srv.url;
    await srv.close();
    await rejectsWith(callWebHook(config(url), context(), deps), 502, (e) =>
      assert.equal(e.reason, "A third-party upstream service could not be reached. Please try again later."),
    );
  });

  it("a target that never answers => 504 after the timeout", async () => {
    const srv = await startServer(() => {
      // never answer
    });
    await rejectsWith(callWebHook(config(srv.url), context(), { fetch, timeoutMs: 150 }), 504, (e) => {
      assert.equal(e.reason, "A third-party upstream service could not be reached. Please try again later.");
      assert.equal(e.status, "Gateway Timeout");
    });
  });

  it("a target that stalls mid-body => 504", async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write('{"identity":'); // and never finishes
    });
    await rejectsWith(
      callWebHook(config(srv.url, { response: { ignore: false, parse: true } }), context(), {
        fetch,
        timeoutMs: 150,
      }),
      504,
    );
  });
});

describe("isPrePersist and pointerToPath", () => {
  it("is true exactly for web hooks that parse or can interrupt", () => {
    const base = config("http://127.0.0.1/");
    assert.equal(isPrePersist(base), false);
    assert.equal(isPrePersist({ ...base, response: { ignore: false, parse: true } }), true);
    assert.equal(isPrePersist({ ...base, can_interrupt: true }), true);
    assert.equal(isPrePersist({ hook: "web_hook", config: { ...base, can_interrupt: true } }), true);
    assert.equal(isPrePersist({ hook: "web_hook", config: base }), false);
    assert.equal(isPrePersist({ hook: "session" }), false);
  });

  it("turns JSON pointers into node names", () => {
    assert.equal(pointerToPath("#/traits/email"), "traits.email");
    assert.equal(pointerToPath("/traits/email"), "traits.email");
    assert.equal(pointerToPath("#/traits/a~1b~0c"), "traits.a/b~c");
    assert.equal(pointerToPath("#/traits/na%20me"), "traits.na me");
    assert.equal(pointerToPath(""), "");
    assert.equal(pointerToPath("#"), "");
    assert.equal(pointerToPath("#/"), "");
  });
});
