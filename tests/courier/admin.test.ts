import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import { courierServer } from "./support.ts";

/** `GET /admin/courier/messages` and `GET /admin/courier/messages/{id}` (Kratos's courier admin API). */

type Message = Record<string, unknown> & { id: string; recipient: string; status: string };

function nextLink(headers: Headers): string | undefined {
  const link = headers.get("link") ?? "";
  return /<([^>]+)>; rel="next"/.exec(link)?.[1];
}

describe("admin courier API", () => {
  test("lists newest first, filters by status and recipient, pages with page_token and a Link header", async (t) => {
    const server = await courierServer(t);
    const ids: string[] = [];
    for (const to of ["a@example.org", "b@example.org", "a@example.org", "c@example.org", "a@example.org"]) {
      ids.push((await server.queue(to)).id);
      server.clock.advance(1000);
    }
    // The oldest two are sent; the rest stay queued.
    const [first, second] = await server.store.claimMessages({
      now: server.clock.now(),
      limit: 2,
      stuckBefore: new Date(0),
    });
    for (const m of [first!, second!]) {
      await server.store.settleMessage(m.id, m.updatedAt, { status: "sent", updatedAt: server.clock.now() });
    }

    const all = await server.admin("admin/courier/messages");
    assert.equal(all.status, 200);
    const messages = all.body as Message[];
    for (const m of messages) assertSchema("message", m);
    assert.deepEqual(
      messages.map((m) => m.id),
      [...ids].reverse(),
    );
    assert.equal(messages[0]!.subject, "Use code 123456 to verify your account");
    assert.equal(messages[0]!.dispatches, undefined, "the list leaves attempts out, as Kratos does");
    assert.equal(
      all.headers.get("link"),
      `<${new URL("admin/courier/messages?page_size=10", server.adminUrl)}>; rel="first"`,
    );

    const sent = (await server.admin("admin/courier/messages?status=sent")).body as Message[];
    assert.deepEqual(sent.map((m) => m.id).sort(), [ids[0], ids[1]].sort());
    const queued = (await server.admin("admin/courier/messages?status=queued&recipient=a@example.org"))
      .body as Message[];
    assert.deepEqual(
      queued.map((m) => m.id),
      [ids[4], ids[2]],
    );
    const toA = (
      await server.admin(`admin/courier/messages?recipient=${encodeURIComponent("a@example.org")}`)
    ).body as Message[];
    assert.deepEqual(
      toA.map((m) => m.id),
      [ids[4], ids[2], ids[0]],
    );
    assert.deepEqual((await server.admin("admin/courier/messages?recipient=nobody@example.org")).body, []);

    // Paging by two: the Link header's next URL carries the filters and the token.
    const seen: string[] = [];
    let url: string | undefined = "admin/courier/messages?page_size=2";
    let pages = 0;
    while (url) {
      const page = await server.admin(url);
      assert.equal(page.status, 200);
      const items = page.body as Message[];
      for (const m of items) assertSchema("message", m);
      assert.ok(items.length <= 2);
      seen.push(...items.map((m) => m.id));
      url = nextLink(page.headers);
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse());

    const filtered = await server.admin("admin/courier/messages?page_size=1&recipient=a@example.org");
    const next = nextLink(filtered.headers);
    assert.ok(next);
    assert.equal(new URL(next).searchParams.get("recipient"), "a@example.org");
    assert.deepEqual(
      ((await server.admin(next)).body as Message[]).map((m) => m.id),
      [ids[2]],
    );
  });

  test("one message by id; unknown id 404 and malformed id 400 in Kratos's envelope", async (t) => {
    const server = await courierServer(t);
    const queued = await server.queue("ada@example.org");
    const one = await server.admin(`admin/courier/messages/${queued.id}`);
    assert.equal(one.status, 200);
    assertSchema("message", one.body);
    assert.deepEqual(
      { ...(one.body as Message), created_at: undefined, updated_at: undefined },
      {
        id: queued.id,
        status: "queued",
        type: "email",
        recipient: "ada@example.org",
        body: queued.body,
        subject: "Use code 123456 to verify your account",
        template_type: "verification_code_valid",
        channel: "email",
        send_count: 0,
        created_at: undefined,
        updated_at: undefined,
      },
    );
    // Also under the bare path, as every admin route.
    assert.equal((await server.admin(`courier/messages/${queued.id}`)).status, 200);

    const missing = await server.admin(`admin/courier/messages/${randomUUID()}`);
    assert.equal(missing.status, 404);
    assertSchema("errorGeneric", missing.body);
    assert.deepEqual(missing.body, {
      error: { code: 404, status: "Not Found", message: "Unable to locate the resource" },
    });

    const malformed = await server.admin("admin/courier/messages/not-a-uuid");
    assert.equal(malformed.status, 400);
    assertSchema("errorGeneric", malformed.body);
    const error = (malformed.body as { error: Record<string, unknown> }).error;
    assert.equal(error.code, 400);
    assert.equal(error.message, 'uuid: incorrect UUID length 10 in string "not-a-uuid"');
  });

  test("bad status, page_token and page_size are 400s in Kratos's envelope", async (t) => {
    const server = await courierServer(t);
    await server.queue("ada@example.org");
    for (const query of [
      "status=delivered",
      "status=",
      "page_token=not-a-token",
      `page_token=${Buffer.from('{"c":"x","i":"y"}').toString("base64url")}`,
      "page_token=%E2%9C%93",
      "page_size=0",
      "page_size=-1",
      "page_size=ten",
    ]) {
      const answer = await server.admin(`admin/courier/messages?${query}`);
      assert.equal(answer.status, 400, query);
      assertSchema("errorGeneric", answer.body);
      assert.equal((answer.body as { error: { code: number } }).error.code, 400);
    }
  });

  test("outside dev mode subject and body are redacted, as Kratos does", async (t) => {
    const server = await courierServer(t, { dev: false });
    const queued = await server.queue("ada@example.org");
    const one = (await server.admin(`admin/courier/messages/${queued.id}`)).body as Message;
    assertSchema("message", one);
    assert.equal(one.subject, "<redacted-unless-dev-mode>");
    assert.equal(one.body, "<redacted-unless-dev-mode>");
    const [listed] = (await server.admin("admin/courier/messages")).body as Message[];
    assert.equal(listed?.body, "<redacted-unless-dev-mode>");
  });

  test("the public listener sends /admin/courier/messages to the admin listener", async (t) => {
    const server = await courierServer(t);
    const response = await fetch(new URL("admin/courier/messages?status=queued", server.publicUrl), {
      redirect: "manual",
    });
    assert.equal(response.status, 307);
    assert.equal(
      response.headers.get("location"),
      new URL("admin/courier/messages?status=queued", server.adminUrl).toString(),
    );
  });
});
