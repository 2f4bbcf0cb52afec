/**
 * Ory's own UI library renders a settings flow with a pending address change (server-side, with
 * `react-dom/server`): the cancel button, whose label names the pending address, is in the profile
 * form beside the traits, so Kratos UIs offer it without knowing about Tessera.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createTesseraClient, csrfTokenOf } from "../../client/index.ts";
import { CookieJar } from "../helpers/http.ts";
import { renderSettings } from "../helpers/ory-elements.ts";
import { PASSWORD, server } from "../settings/helpers.ts";

test("@ory/elements-react renders the pending change's cancel button in the profile form", async (t) => {
  const s = await server(t, {
    selfservice: {
      flows: {
        verification: { enabled: true },
        settings: { after: { profile: { hooks: [{ hook: "verify_new_address" }] } } },
      },
    },
  });
  const jar = new CookieJar();
  const trpc = createTesseraClient({ url: s.publicUrl, fetch: jar.fetch });
  const reg = await trpc.registration.create.mutate({ type: "browser" });
  await trpc.registration.submit.mutate({
    flow: reg.id,
    body: {
      method: "password",
      password: PASSWORD,
      traits: { email: "ada@example.com" },
      csrf_token: csrfTokenOf(reg) ?? "",
    },
  });
  const first = await trpc.settings.create.mutate({ type: "browser" });
  const held = await trpc.settings.submit.mutate({
    flow: first.id,
    body: { method: "profile", traits: { email: "ada@new.example" }, csrf_token: csrfTokenOf(first) ?? "" },
  });
  assert.equal(held.status, "success");
  const flow = await trpc.settings.create.mutate({ type: "browser" });
  const html = renderSettings(s, flow, { verification_enabled: true });
  assert.match(html, /name="cancel_pending_address"/, "the cancel button");
  assert.match(html, /Cancel the change to ada@new\.example/);
  // The info text comes as the flow's message, which Ory Elements shows as a toast once hydrated.
  assert.deepEqual(
    flow.ui.messages?.map((m) => m.id),
    [1900002],
  );
});
