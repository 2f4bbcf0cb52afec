import assert from "node:assert/strict";
import { test } from "node:test";
import { coarseClient, coarseNetwork } from "../../server/account/history.ts";
import { runAccountMaintenance } from "../../server/account/maintenance.ts";
import {
  apiFlow,
  bodyOf,
  browserLogin,
  HOUR,
  type Json,
  PASSWORD,
  postWithToken,
  registerApi,
  server,
  url,
} from "../settings/helpers.ts";

// docs/account-features.md: the security history, recorded with the change it describes.

type Entry = {
  type: string;
  method: string | null;
  outcome: string;
  network: string | null;
  client: string | null;
  created_at: string;
};

async function history(s: Awaited<ReturnType<typeof server>>, token: string, query = ""): Promise<Entry[]> {
  const res = await fetch(url(s, `/self-service/account/history${query}`), {
    headers: { "x-session-token": token },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Entry[];
}

async function failLogin(s: Awaited<ReturnType<typeof server>>, identifier: string) {
  const flow = await bodyOf(await fetch(url(s, "/self-service/login/api")));
  const res = await fetch(url(s, `/self-service/login?flow=${flow.id}`), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
      "x-forwarded-for": "203.0.113.77",
    },
    body: JSON.stringify({ method: "password", identifier, password: "wrong-password-123" }),
  });
  assert.equal(res.status, 400);
}

test("sign-up, sign-in, a failed sign-in, a settings change and a revocation are in the person's history, newest first", async (t) => {
  const s = await server(t);
  const ada = await registerApi(s);
  const bob = await registerApi(s, "bob@example.com");
  await failLogin(s, "ada@example.com");
  await failLogin(s, "nobody@example.com");
  s.clock.advance(1000);
  const jar = await browserLogin(s, "ada@example.com");
  s.clock.advance(1000);
  const flow = await apiFlow(s, ada.token);
  const changed = await postWithToken(s, ada.token, flow.id, {
    method: "profile",
    traits: { email: "ada@example.com", name: { first: "Augusta", last: "Lovelace" } },
  });
  assert.equal(changed.status, 200);
  s.clock.advance(1000);
  const others = await fetch(url(s, "/sessions"), {
    method: "DELETE",
    headers: { "x-session-token": ada.token },
  });
  assert.equal(others.status, 200);
  assert.ok(!(await jar.fetch(url(s, "/sessions/whoami"))).ok, "the browser session was revoked");

  const entries = await history(s, ada.token);
  assert.deepEqual(
    entries.map((e) => [e.type, e.method, e.outcome]),
    [
      ["sessions_revoked", null, "success"],
      ["settings", "profile", "success"],
      ["login", "password", "success"],
      ["login_failed", "password", "failure"],
      ["registration", "password", "success"],
    ],
  );
  const failed = entries.find((e) => e.type === "login_failed")!;
  assert.equal(failed.network, "203.0.113.0/24", "only the /24 is kept");
  assert.equal(failed.client, "Firefox on Linux", "only the family is kept");

  const bobs = await history(s, bob.token);
  assert.deepEqual(
    bobs.map((e) => e.type),
    ["registration"],
    "nothing of Ada's in Bob's history",
  );

  // Paging: page_size and before.
  const first = await history(s, ada.token, "?page_size=2");
  assert.equal(first.length, 2);
  const rest = await history(
    s,
    ada.token,
    `?page_size=10&before=${encodeURIComponent(first[1]!.created_at)}`,
  );
  assert.equal(rest[0]!.type, "login");

  // Admins see it too; the tRPC door answers the same.
  const admin = await bodyOf(await fetch(new URL(`admin/identities/${ada.identityId}/history`, s.adminUrl)));
  assert.deepEqual(admin, entries as unknown as Json);
  const trpc = await fetch(url(s, "/trpc/account.history"), { headers: { "x-session-token": ada.token } });
  assert.equal(trpc.status, 200);
  assert.deepEqual(((await trpc.json()) as { result: { data: unknown } }).result.data, entries);
});

test("history: no session is 401, bad paging is 400, an unknown identity is 404 for admins", async (t) => {
  const s = await server(t);
  const ada = await registerApi(s);
  const none = await fetch(url(s, "/self-service/account/history"));
  assert.equal(none.status, 401);
  assert.equal(((await bodyOf(none)).error as Json).id, "session_inactive");
  for (const q of ["?page_size=0", "?page_size=abc", "?page_size=100000", "?before=yesterday"]) {
    const res = await fetch(url(s, `/self-service/account/history${q}`), {
      headers: { "x-session-token": ada.token },
    });
    assert.equal(res.status, 400, q);
  }
  const unknown = await fetch(
    new URL("admin/identities/00000000-0000-0000-0000-000000000000/history", s.adminUrl),
  );
  assert.equal(unknown.status, 404);
});

test("history past its retention is neither shown nor kept after maintenance", async (t) => {
  const s = await server(t, { account: { history: { retention: "24h" } } });
  const ada = await registerApi(s);
  assert.equal((await history(s, ada.token)).length, 1);
  s.clock.advance(25 * HOUR);
  // Sign in again so the session is valid, then look.
  const flow = await bodyOf(await fetch(url(s, "/self-service/login/api")));
  const login = await bodyOf(
    await fetch(url(s, `/self-service/login?flow=${flow.id}`), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ method: "password", identifier: "ada@example.com", password: PASSWORD }),
    }),
  );
  const token = login.session_token as string;
  assert.deepEqual(
    (await history(s, token)).map((e) => e.type),
    ["login"],
  );
  const removed = await runAccountMaintenance(s.app.deps);
  assert.equal(removed.events, 1);
});

test("history can be switched off: nothing is recorded", async (t) => {
  const s = await server(t, { account: { history: { enabled: false } } });
  const ada = await registerApi(s);
  assert.deepEqual(await history(s, ada.token), []);
});

test("coarse network and client", () => {
  assert.equal(coarseNetwork("198.51.100.23"), "198.51.100.0/24");
  assert.equal(coarseNetwork("::ffff:198.51.100.23"), "198.51.100.0/24");
  assert.equal(coarseNetwork("2001:db8:abcd:12::1"), "2001:db8:abcd::/48");
  assert.equal(coarseNetwork("2001:db8::1"), "2001:db8:0::/48");
  assert.equal(coarseNetwork(undefined), null);
  assert.equal(coarseNetwork("not an ip"), null);
  assert.equal(
    coarseClient(
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
    ),
    "Safari on macOS",
  );
  assert.equal(
    coarseClient(
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
    ),
    "Edge on Windows",
  );
  assert.equal(coarseClient("curl/8.4.0"), "curl");
  assert.equal(coarseClient(null), null);
});
