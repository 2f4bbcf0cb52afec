import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { assertPermittedTarget, isDisallowedAddress } from "../../server/hooks/outbound-guard.ts";
import { callWebHook, type WebHookConfig, webHookBackoffMs } from "../../server/hooks/web-hook.ts";
import { HttpError } from "../../server/request/errors.ts";
import { startTestServer } from "../helpers/server.ts";

/** A real hook target on 127.0.0.1 answering with `statuses` in turn (the last one repeats). */
async function target(t: { after(fn: () => unknown): void }, statuses: number[]) {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const status = statuses[Math.min(calls, statuses.length - 1)]!;
      calls++;
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, calls: () => calls };
}

const context = {
  flow: { id: "f" },
  request: { headers: new Headers(), method: "POST", url: "http://localhost/", cookies: {} },
};

function config(url: string, extra: Partial<WebHookConfig> = {}): WebHookConfig {
  return { url, method: "POST", response: { ignore: false, parse: false }, can_interrupt: false, ...extra };
}

test("a non-blocking hook is retried on 5xx with back-off, without real sleeps", async (t) => {
  const hook = await target(t, [503, 500, 200]);
  const waits: number[] = [];
  const result = await callWebHook(config(hook.url), context, {
    fetch,
    maxRetries: 2,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  assert.deepEqual(result, { kind: "ok" });
  assert.equal(hook.calls(), 3, "failed twice, then succeeded");
  assert.deepEqual(waits, [1000, 2000], "Kratos's back-off: 1 s, then 2 s");
  assert.equal(webHookBackoffMs(10), 30_000, "capped at 30 s");
});

test("retries give up after two: the third 5xx fails the hook with 502", async (t) => {
  const hook = await target(t, [500]);
  const error = await callWebHook(config(hook.url), context, {
    fetch,
    maxRetries: 2,
    sleep: async () => {},
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpError);
  assert.equal(error.code, 502);
  assert.equal(hook.calls(), 3);
});

test("network errors are retried too; an interrupting hook gets one attempt", async (t) => {
  const hook = await target(t, [200]);
  let attempts = 0;
  const flaky: typeof fetch = async (input, init) => {
    attempts++;
    if (attempts < 3)
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("refused"), { code: "ECONNREFUSED" }),
      });
    return fetch(input, init);
  };
  assert.deepEqual(
    await callWebHook(config(hook.url), context, { fetch: flaky, maxRetries: 2, sleep: async () => {} }),
    {
      kind: "ok",
    },
  );
  assert.equal(attempts, 3);

  const failing = await target(t, [500]);
  await assert.rejects(
    callWebHook(config(failing.url, { can_interrupt: true }), context, {
      fetch,
      maxRetries: 2,
      sleep: async () => {},
    }),
    (e: unknown) => e instanceof HttpError && e.code === 502,
  );
  assert.equal(failing.calls(), 1);
});

test("disallow_private_ip_ranges refuses 127.0.0.1 before connecting; exception URLs pass", async (t) => {
  const hook = await target(t, [200]);
  const policy = { disallowPrivate: true, exceptionUrls: [] };
  const error = await callWebHook(config(hook.url), context, {
    fetch,
    addressPolicy: policy,
    maxRetries: 2,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpError);
  assert.equal(error.code, 502);
  assert.match(error.message + JSON.stringify(error.toGeneric()), /ERR_PROHIBITED_ADDRESS/);
  assert.equal(hook.calls(), 0, "nothing was sent, and the refusal was not retried");

  const allowed = await callWebHook(config(hook.url), context, {
    fetch,
    addressPolicy: { disallowPrivate: true, exceptionUrls: [hook.url] },
  });
  assert.deepEqual(allowed, { kind: "ok" });
  assert.equal(hook.calls(), 1);
});

test("DNS rebinding: a name that resolves to a public address for the check and to 127.0.0.1 for the connection is refused", async (t) => {
  const hook = await target(t, [200]);
  const rebound = hook.url.replace("127.0.0.1", "localhost");
  const answers: string[][] = [];
  // The first answer (the check before the call) is public; every later one is where `localhost` is.
  const lookup = async (hostname: string) => {
    assert.equal(hostname, "localhost");
    const answer = answers.length === 0 ? ["93.184.216.34"] : ["127.0.0.1"];
    answers.push(answer);
    return answer;
  };
  const error = await callWebHook(config(rebound), context, {
    fetch,
    addressPolicy: { disallowPrivate: true, exceptionUrls: [] },
    lookup,
    maxRetries: 2,
    sleep: async () => {},
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof HttpError, String(error));
  assert.equal(error.code, 502);
  assert.match(error.message + JSON.stringify(error.toGeneric()), /ERR_PROHIBITED_ADDRESS/);
  assert.equal(hook.calls(), 0, "the connection went nowhere");
  assert.deepEqual(
    answers,
    [["93.184.216.34"], ["127.0.0.1"]],
    "the connection's own lookup was judged, once",
  );
});

test("the guard judges what a name resolves to: loopback, private, link-local, metadata, mapped IPv6", async () => {
  for (const address of [
    "127.0.0.1",
    "10.1.2.3",
    "172.20.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "::1",
    "fe80::1",
    "fd00:ec2::254",
    "::ffff:127.0.0.1",
  ]) {
    assert.equal(isDisallowedAddress(address), true, address);
  }
  for (const address of ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8"]) {
    assert.equal(isDisallowedAddress(address), false, address);
  }
  const policy = { disallowPrivate: true, exceptionUrls: [] };
  // A public-looking name that resolves (among others) to the metadata address is refused.
  await assert.rejects(
    assertPermittedTarget("https://hooks.example/x", policy, async () => [
      "93.184.216.34",
      "169.254.169.254",
    ]),
    /prohibited IP address: 169\.254\.169\.254/,
  );
  await assertPermittedTarget("https://hooks.example/x", policy, async () => ["93.184.216.34"]);
  await assert.rejects(assertPermittedTarget("http://[::1]:8080/", policy), /prohibited IP address: ::1/);
  // With the guard off nothing is checked.
  await assertPermittedTarget("http://127.0.0.1/", { disallowPrivate: false, exceptionUrls: [] });
});

test("through the app: a registration after-hook to 127.0.0.1 is refused when clients.http guards", async (t) => {
  const hook = await target(t, [200]);
  const s = await startTestServer({
    clients: { http: { disallow_private_ip_ranges: true } },
    selfservice: {
      flows: {
        registration: {
          after: {
            password: { hooks: [{ hook: "web_hook", config: { url: hook.url } }, { hook: "session" }] },
          },
        },
      },
    },
  });
  t.after(() => s.close());
  const flow = (await (await fetch(new URL("self-service/registration/api", s.publicUrl))).json()) as {
    id: string;
  };
  const res = await fetch(new URL(`self-service/registration?flow=${flow.id}`, s.publicUrl), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      method: "password",
      password: "a-Long-enough-passw0rd-1842",
      traits: { email: "guarded@example.org" },
    }),
  });
  assert.equal(res.status, 502, await res.clone().text());
  assert.equal(hook.calls(), 0);
});
