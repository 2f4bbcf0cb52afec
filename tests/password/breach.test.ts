import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import { BREACH_CACHE_TTL_MS, MAX_CACHED_PREFIXES } from "../../server/methods/password/breach-lookup.ts";
import { createPasswordPolicy, type PasswordPolicyConfig } from "../../server/methods/password/policy.ts";
import { HttpError } from "../../server/request/errors.ts";

const BREACHED = {
  id: 4000034,
  text: "The password has been found in data breaches and must no longer be used.",
  type: "error",
};

function sha1Parts(password: string): { prefix: string; suffix: string } {
  const hash = createHash("sha1").update(password).digest("hex").toUpperCase();
  return { prefix: hash.slice(0, 5), suffix: hash.slice(5) };
}

/** Other suffixes under the prefix, as the real API lists hundreds. */
const NEIGHBOURS = ["0018A45C4D1DEF81644B54AB7F969B88D65:1", "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2"];

interface FakeRangeServer {
  host: string;
  /** Requests received per path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 standing in for api.pwnedpasswords.com. */
async function startRangeServer(
  respond: (prefix: string, response: ServerResponse) => void,
): Promise<FakeRangeServer> {
  const hits = new Map<string, number>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? "";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const match = /^\/range\/([0-9A-F]{5})$/.exec(path);
    if (!match) {
      response.writeHead(404).end();
      return;
    }
    respond(match[1]!, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `lines` (plus neighbours) for the prefix of `password`, an empty list otherwise. */
function listing(password: string, line: (suffix: string) => string) {
  const { prefix: wanted, suffix } = sha1Parts(password);
  return (prefix: string, response: ServerResponse) => {
    const lines = prefix === wanted ? [NEIGHBOURS[0], line(suffix), NEIGHBOURS[1]] : NEIGHBOURS;
    response.writeHead(200, { "content-type": "text/plain" }).end(lines.join("\r\n"));
  };
}

function policyFor(host: string, overrides: Partial<PasswordPolicyConfig> = {}, clock = new ManualClock(0)) {
  const config: PasswordPolicyConfig = {
    min_password_length: 8,
    identifier_similarity_check_enabled: true,
    haveibeenpwned_enabled: true,
    haveibeenpwned_host: host,
    max_breaches: 0,
    ignore_network_errors: true,
    common_passwords_check_enabled: false,
    ...overrides,
  };
  return createPasswordPolicy(config, { clock });
}

const servers: FakeRangeServer[] = [];
async function serve(respond: Parameters<typeof startRangeServer>[0]): Promise<FakeRangeServer> {
  const server = await startRangeServer(respond);
  servers.push(server);
  return server;
}
after(() => Promise.all(servers.map((server) => server.close())));

const PASSWORD = "tessera-breached-1";

/** `count` passwords whose SHA-1 prefixes differ from each other and from `exclude`. */
function passwordsWithDistinctPrefixes(count: number, exclude: string): string[] {
  const seen = new Set([exclude]);
  const passwords: string[] = [];
  for (let i = 0; passwords.length < count; i++) {
    const candidate = `tessera-filler-${i}`;
    const { prefix } = sha1Parts(candidate);
    if (seen.has(prefix)) continue;
    seen.add(prefix);
    passwords.push(candidate);
  }
  return passwords;
}

describe("breached passwords (Have I Been Pwned range API)", () => {
  test("a listed password: 4000034 with the count as context", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    assert.deepEqual(await policyFor(server.host).check(PASSWORD, []), {
      ...BREACHED,
      context: { breaches: 3 },
    });
    assert.deepEqual([...server.hits.keys()], [`/range/${sha1Parts(PASSWORD).prefix}`]);
  });

  test("an unlisted password passes", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    assert.equal(await policyFor(server.host).check("tessera-not-breached-2", []), undefined);
  });

  test("max_breaches is the highest count still accepted", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    assert.equal(await policyFor(server.host, { max_breaches: 3 }).check(PASSWORD, []), undefined);
    assert.deepEqual(await policyFor(server.host, { max_breaches: 2 }).check(PASSWORD, []), {
      ...BREACHED,
      context: { breaches: 3 },
    });
  });

  test("counts with thousands separators", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:1,234`));
    assert.deepEqual((await policyFor(server.host).check(PASSWORD, []))?.context, { breaches: 1234 });
  });

  test("a line without a count counts once", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => suffix));
    assert.deepEqual((await policyFor(server.host).check(PASSWORD, []))?.context, { breaches: 1 });
    assert.equal(await policyFor(server.host, { max_breaches: 1 }).check(PASSWORD, []), undefined);
  });

  test("runs after the offline checks, which spare the request", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    const policy = policyFor(server.host, { common_passwords_check_enabled: true });
    assert.equal((await policy.check("short", []))?.id, 4000032);
    assert.equal((await policy.check(PASSWORD, [PASSWORD]))?.id, 4000031);
    assert.equal((await policy.check("password1", []))?.id, 4000005);
    assert.equal(server.hits.size, 0);
  });

  test("disabled: no request at all", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    assert.equal(
      await policyFor(server.host, { haveibeenpwned_enabled: false }).check(PASSWORD, []),
      undefined,
    );
    assert.equal(server.hits.size, 0);
  });
});

describe("breach answers are cached for an hour", () => {
  test("a second check within the hour asks nothing; after it, the API again", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    const path = `/range/${sha1Parts(PASSWORD).prefix}`;
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const policy = policyFor(server.host, {}, clock);

    assert.equal((await policy.check(PASSWORD, []))?.id, 4000034);
    clock.advance(BREACH_CACHE_TTL_MS - 1);
    assert.equal((await policy.check(PASSWORD, []))?.id, 4000034);
    assert.equal(server.hits.get(path), 1);

    clock.advance(1);
    assert.equal((await policy.check(PASSWORD, []))?.id, 4000034);
    assert.equal(server.hits.get(path), 2);
  });

  test("an unlisted password is cached too (count 0)", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    const policy = policyFor(server.host);
    assert.equal(await policy.check("tessera-not-breached-2", []), undefined);
    assert.equal(await policy.check("tessera-not-breached-2", []), undefined);
    assert.equal(server.hits.size, 1);
    assert.equal([...server.hits.values()][0], 1);
  });

  test("concurrent checks under one prefix share one request", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    const policy = policyFor(server.host);
    const results = await Promise.all([policy.check(PASSWORD, []), policy.check(PASSWORD, [])]);
    assert.deepEqual(
      results.map((result) => result?.id),
      [4000034, 4000034],
    );
    assert.equal(server.hits.get(`/range/${sha1Parts(PASSWORD).prefix}`), 1);
  });

  test("the cache holds a bounded number of prefixes, dropping the oldest first", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    const policy = policyFor(server.host);
    const others = passwordsWithDistinctPrefixes(MAX_CACHED_PREFIXES, sha1Parts(PASSWORD).prefix);
    const hitsFor = (password: string) => server.hits.get(`/range/${sha1Parts(password).prefix}`);

    await policy.check(PASSWORD, []); // the oldest entry
    for (const other of others.slice(0, -1)) await policy.check(other, []);
    await policy.check(PASSWORD, []); // the cache is exactly full: still served from it
    assert.equal(hitsFor(PASSWORD), 1);

    await policy.check(others.at(-1)!, []); // one prefix too many pushes out the oldest
    await policy.check(others.at(-2)!, []);
    assert.equal(hitsFor(others.at(-2)!), 1);
    await policy.check(PASSWORD, []);
    assert.equal(hitsFor(PASSWORD), 2);
  });

  test("each policy has its own cache", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:3`));
    await policyFor(server.host).check(PASSWORD, []);
    await policyFor(server.host).check(PASSWORD, []);
    assert.equal(server.hits.get(`/range/${sha1Parts(PASSWORD).prefix}`), 2);
  });
});

describe("when the breach API fails", () => {
  const failing500 = (_prefix: string, response: ServerResponse) => {
    response.writeHead(500).end("boom");
  };

  function assertUpstreamError(reason: string) {
    return (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.code, 502);
      assert.deepEqual(error.toGeneric(), {
        id: "upstream_error",
        code: 502,
        status: "Bad Gateway",
        reason,
        message: "Leaked password server unavailable",
      });
      return true;
    };
  }

  test("a non-200 answer is accepted when network errors are ignored", async () => {
    const server = await serve(failing500);
    assert.equal(
      await policyFor(server.host, { ignore_network_errors: true }).check(PASSWORD, []),
      undefined,
    );
  });

  test("a non-200 answer is a 502 upstream_error otherwise", async () => {
    const server = await serve(failing500);
    await assert.rejects(
      policyFor(server.host, { ignore_network_errors: false }).check(PASSWORD, []),
      assertUpstreamError("Unexpected status code from haveibeenpwned.com"),
    );
  });

  test("a failure is not cached", async () => {
    const server = await serve(failing500);
    const policy = policyFor(server.host);
    await policy.check(PASSWORD, []);
    await policy.check(PASSWORD, []);
    assert.equal(server.hits.get(`/range/${sha1Parts(PASSWORD).prefix}`), 2);
  });

  test("an unreachable server: accepted when ignored, 502 otherwise", async () => {
    const server = await startRangeServer(listing(PASSWORD, (suffix) => `${suffix}:3`));
    await server.close(); // nothing listens on this port any more
    assert.equal(
      await policyFor(server.host, { ignore_network_errors: true }).check(PASSWORD, []),
      undefined,
    );
    await assert.rejects(
      policyFor(server.host, { ignore_network_errors: false }).check(PASSWORD, []),
      assertUpstreamError(
        "Unable to check if password has been leaked because an unexpected network error occurred.",
      ),
    );
  });

  test("a count that is not an integer is a 502 even when network errors are ignored", async () => {
    const server = await serve(listing(PASSWORD, (suffix) => `${suffix}:many`));
    await assert.rejects(
      policyFor(server.host, { ignore_network_errors: true }).check(PASSWORD, []),
      assertUpstreamError("Expected password hash to contain a count formatted as int but got: many"),
    );
  });
});

describe("where the request goes", () => {
  function recordingFetch(urls: string[], signals: unknown[]): typeof fetch {
    return async (input, init) => {
      urls.push(String(input));
      signals.push(init?.signal);
      return new Response("", { status: 200 });
    };
  }

  test("a bare host means https, as in Kratos; the request carries a timeout signal", async () => {
    const urls: string[] = [];
    const signals: unknown[] = [];
    const config: PasswordPolicyConfig = {
      min_password_length: 8,
      identifier_similarity_check_enabled: true,
      haveibeenpwned_enabled: true,
      haveibeenpwned_host: "api.pwnedpasswords.com",
      max_breaches: 0,
      ignore_network_errors: false,
      common_passwords_check_enabled: false,
    };
    const policy = createPasswordPolicy(config, {
      clock: new ManualClock(0),
      fetch: recordingFetch(urls, signals),
    });
    assert.equal(await policy.check(PASSWORD, []), undefined);
    assert.deepEqual(urls, [`https://api.pwnedpasswords.com/range/${sha1Parts(PASSWORD).prefix}`]);
    assert.ok(signals[0] instanceof AbortSignal);
  });

  test("a host with a scheme and a trailing slash is used as the base URL", async () => {
    const urls: string[] = [];
    const config: PasswordPolicyConfig = {
      min_password_length: 8,
      identifier_similarity_check_enabled: true,
      haveibeenpwned_enabled: true,
      haveibeenpwned_host: "http://127.0.0.1:9/",
      max_breaches: 0,
      ignore_network_errors: false,
      common_passwords_check_enabled: false,
    };
    const policy = createPasswordPolicy(config, {
      clock: new ManualClock(0),
      fetch: recordingFetch(urls, []),
    });
    await policy.check(PASSWORD, []);
    assert.deepEqual(urls, [`http://127.0.0.1:9/range/${sha1Parts(PASSWORD).prefix}`]);
  });
});
