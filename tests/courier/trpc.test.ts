import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { createTesseraAdminClient } from "../../client/index.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { trpcError } from "../trpc/support.ts";
import { courierServer } from "./support.ts";

test("admin tRPC courier.messages / courier.message answer what REST answers", async (t) => {
  const server = await courierServer(t);
  const api = createTesseraAdminClient({ url: server.adminUrl });
  const first = await server.queue("ada@example.org");
  server.clock.advance(1000);
  const second = await server.queue("bob@example.org");
  await server.dispatcher().drain();

  const page = await api.courier.messages.query({ pageSize: 1 });
  assert.deepEqual(
    page.messages.map((m) => m.id),
    [second.id],
  );
  assert.ok(page.nextPageToken);
  const rest = await server.admin("admin/courier/messages?page_size=1");
  assert.deepEqual(page.messages, rest.body);
  const next = await api.courier.messages.query({ pageSize: 1, pageToken: page.nextPageToken });
  assert.deepEqual(
    next.messages.map((m) => m.id),
    [first.id],
  );
  assert.equal(next.nextPageToken, undefined);
  const toAda = await api.courier.messages.query({ recipient: "ada@example.org", status: "sent" });
  assert.deepEqual(
    toAda.messages.map((m) => m.id),
    [first.id],
  );

  const one = await api.courier.message.query({ id: first.id });
  assertSchema("message", one);
  assert.deepEqual(one, (await server.admin(`admin/courier/messages/${first.id}`)).body);

  const missing = await trpcError(api.courier.message.query({ id: randomUUID() }));
  assert.equal(missing.data.kratos.error.code, 404);
  const badStatus = await trpcError(api.courier.messages.query({ status: "delivered" }));
  assert.deepEqual(
    badStatus.data.kratos,
    (await server.admin("admin/courier/messages?status=delivered")).body,
  );
});
