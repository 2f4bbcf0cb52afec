import assert from "node:assert/strict";
import { test } from "node:test";
import { browserLogin, registerNative } from "../helpers/frontend.ts";
import { client, trpcError } from "../trpc/support.ts";
import { CookieJar, jsonnetSkip, oidcWorld } from "./support.ts";

test("tRPC settings.submit answers oidc link/unlink as REST does", { skip: jsonnetSkip }, async (t) => {
  const w = await oidcWorld(t);
  await registerNative(w.s, "ada@example.com");
  const jar = new CookieJar();
  await browserLogin(w.s, jar, "ada@example.com");
  const trpc = client(w.s, { jar });
  const flow = await trpc.settings.create.mutate({ type: "browser" });
  const link = flow.ui.nodes.find((n) => (n.attributes as { name?: string }).name === "link");
  assert.equal((link?.attributes as { value?: string } | undefined)?.value, "loopback");

  const err = await trpcError(
    trpc.settings.submit.mutate({ flow: flow.id, body: { method: "oidc", link: "loopback" } }),
  );
  assert.equal(err.data.httpStatus, 422);
  const kratos = err.data.kratos as { error: { id: string }; redirect_browser_to?: string };
  assert.equal(kratos.error.id, "browser_location_change_required");
  assert.ok(kratos.redirect_browser_to?.startsWith(w.op.issuer));

  const refused = await trpc.settings.submit.mutate({
    flow: flow.id,
    body: { method: "oidc", unlink: "loopback" },
  });
  assert.equal(refused.status, "form");
  const messages = (refused as { flow: { ui: { messages?: { text: string }[] } } }).flow.ui.messages ?? [];
  assert.match(messages[0]?.text ?? "", /last remaining first factor credential/);
});
