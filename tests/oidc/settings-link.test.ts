import assert from "node:assert/strict";
import { test } from "node:test";
import { Configuration, FrontendApi, ResponseError } from "@ory/client-fetch";
import { browserLogin, registerNative } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";
import {
  browserFlow,
  CookieJar,
  csrfOf,
  form,
  jsonnetSkip,
  oidcWorld,
  roundTrip,
  url,
  whoami,
} from "./support.ts";

const HOUR = 3_600_000;

type Flow = {
  id: string;
  ui: {
    nodes: { attributes: Record<string, unknown>; meta: { label?: { id: number; context?: unknown } } }[];
    messages?: { id: number; text: string }[];
  };
};
const nodeNamed = (flow: Flow, name: string) => flow.ui.nodes.filter((n) => n.attributes.name === name);

async function settingsJson(w: { s: { publicUrl: string } }, jar: CookieJar, id: string): Promise<Flow> {
  const res = await jar.fetch(url(w.s as never, `/self-service/settings/flows?id=${id}`), {
    headers: { accept: "application/json" },
  });
  const body = await res.json();
  assertSchema("settingsFlow", body);
  return body as Flow;
}

test("settings: link the provider to a password account, then unlink it", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  await registerNative(w.s, "ada@example.com");
  const jar = new CookieJar();
  await browserLogin(w.s, jar, "ada@example.com");

  const flow = (await browserFlow(w.s, jar, "settings")) as unknown as Flow;
  const link = nodeNamed(flow, "link");
  assert.equal(link.length, 1);
  assert.equal(link[0]!.attributes.value, "loopback");
  assert.deepEqual(link[0]!.meta.label, {
    id: 1050002,
    text: "Link Loopback ID",
    type: "info",
    context: { provider: "Loopback ID" },
  });
  assert.equal(nodeNamed(flow, "unlink").length, 0);

  w.s.clock.advance(60_000);
  const done = await roundTrip(w, jar, "settings", flow as never, { link: "loopback" });
  assert.equal(done.status, 303, await done.clone().text());
  assert.equal(done.headers.get("location"), `${w.s.app.deps.config.ui.settings}?flow=${flow.id}`);
  const after = await settingsJson(w, jar, flow.id);
  assert.equal((after as unknown as { state: string }).state, "success");
  assert.equal(nodeNamed(after, "link").length, 0);
  assert.equal(nodeNamed(after, "unlink")[0]?.attributes.value, "loopback");
  const { body: session } = await whoami(w.s, jar);
  const methods = session.authentication_methods.map(
    (m: { method: string; provider?: string }) => `${m.method}:${m.provider ?? ""}`,
  );
  assert.deepEqual(methods, ["password:", "oidc:loopback"]);
  assert.equal(session.authenticated_at, new Date(w.s.clock.now()).toISOString().replace(".000Z", ".000Z"));

  // The same subject can now sign in to this account.
  const other = new CookieJar();
  const login = await browserFlow(w.s, other, "login");
  assert.equal((await roundTrip(w, other, "login", login)).status, 303);
  assert.equal((await whoami(w.s, other)).body.identity.id, session.identity.id);

  // Unlink (two first factors: password and the provider).
  const again = (await browserFlow(w.s, jar, "settings")) as unknown as Flow;
  const res = await jar.fetch(
    url(w.s, `/self-service/settings?flow=${again.id}`),
    form({ unlink: "loopback", csrf_token: csrfOf(again) }),
  );
  assert.equal(res.status, 303);
  const unlinked = await settingsJson(w, jar, again.id);
  assert.equal(nodeNamed(unlinked, "link")[0]?.attributes.value, "loopback");
  const admin = await fetch(new URL(`identities/${session.identity.id}`, w.s.adminUrl));
  const identity = (await admin.json()) as { credentials: Record<string, unknown> };
  assert.equal(identity.credentials.oidc, undefined);
});

test("settings: the last first-factor credential cannot be unlinked; unknown and linked-elsewhere links are refused", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  // Alice signs up with the provider only.
  const alice = new CookieJar();
  const reg = await browserFlow(w.s, alice, "registration");
  assert.equal((await roundTrip(w, alice, "registration", reg)).status, 303);
  const flow = (await browserFlow(w.s, alice, "settings")) as unknown as Flow;
  assert.equal(nodeNamed(flow, "unlink").length, 0, "no unlink node for the only credential");
  const api = { accept: "application/json", "content-type": "application/json" };
  const refused = await alice.fetch(url(w.s, `/self-service/settings?flow=${flow.id}`), {
    method: "POST",
    headers: api,
    body: JSON.stringify({ method: "oidc", unlink: "loopback", csrf_token: csrfOf(flow as never) }),
  });
  assert.equal(refused.status, 400);
  const body = (await refused.json()) as Flow;
  assertSchema("settingsFlow", body);
  assert.equal(body.ui.messages?.[0]?.id, 4000001);
  assert.match(body.ui.messages?.[0]?.text ?? "", /last remaining first factor credential/);

  const unknown = await alice.fetch(url(w.s, `/self-service/settings?flow=${flow.id}`), {
    method: "POST",
    headers: api,
    body: JSON.stringify({ link: "nope", csrf_token: csrfOf(flow as never) }),
  });
  assert.equal(unknown.status, 400);
  assert.match(
    ((await unknown.json()) as Flow).ui.messages?.[0]?.text ?? "",
    /can not link unknown or already existing/,
  );

  const both = await alice.fetch(url(w.s, `/self-service/settings?flow=${flow.id}`), {
    method: "POST",
    headers: api,
    body: JSON.stringify({ link: "loopback", unlink: "loopback", csrf_token: csrfOf(flow as never) }),
  });
  assert.match(
    ((await both.json()) as Flow).ui.messages?.[0]?.text ?? "",
    /link and unlink providers in the same request/,
  );

  // Bob has a password account and tries to link Alice's provider subject.
  await registerNative(w.s, "bob@example.com");
  const bob = new CookieJar();
  await browserLogin(w.s, bob, "bob@example.com");
  const bobFlow = (await browserFlow(w.s, bob, "settings")) as unknown as Flow;
  w.op.nextUser = "alice-sub";
  const res = await roundTrip(w, bob, "settings", bobFlow as never, { link: "loopback" });
  assert.equal(res.status, 303);
  const shown = await settingsJson(w, bob, bobFlow.id);
  assert.equal(shown.ui.messages?.[0]?.id, 4000007);
});

test("settings: an SPA gets 422 browser_location_change_required; an old session gets 403 / a refresh login", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  await registerNative(w.s, "ada@example.com");
  const jar = new CookieJar();
  await browserLogin(w.s, jar, "ada@example.com");
  const sdk = new FrontendApi(
    new Configuration({
      basePath: w.s.publicUrl.replace(/\/$/, ""),
      fetchApi: jar.fetch,
      headers: { Accept: "application/json" },
    }),
  );
  const flow = await sdk.createBrowserSettingsFlow();
  // Ory's SDK has no csrf_token for the oidc method: a JSON body is accepted without it (§20 item 6).
  const err = await sdk
    .updateSettingsFlow({ flow: flow.id, updateSettingsFlowBody: { method: "oidc", link: "loopback" } })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(err instanceof ResponseError);
  assert.equal(err.response.status, 422, await err.response.clone().text());
  const body = (await err.response.json()) as { error: { id: string }; redirect_browser_to: string };
  // Kratos's OpenAPI nests errorGeneric under `error` here; the wire (and Kratos) sends the generic error's body.
  assertSchema("errorGeneric", { error: body.error });
  assert.equal(typeof body.redirect_browser_to, "string");
  assert.equal(body.error.id, "browser_location_change_required");
  const to = new URL(body.redirect_browser_to);
  assert.equal(to.origin, w.op.issuer);
  assert.equal(to.searchParams.get("client_id"), w.op.clientId);
  assert.ok(to.searchParams.get("state"));
  assert.equal(to.searchParams.get("code_challenge_method"), "S256");

  // The SPA navigates; the round trip completes and links.
  const back = await w.op.authorize(body.redirect_browser_to);
  const done = await jar.fetch(back);
  assert.equal(done.status, 303);
  const id = (await whoami(w.s, jar)).body.identity.id;
  const admin = (await (await fetch(new URL(`identities/${id}`, w.s.adminUrl))).json()) as {
    credentials: { oidc?: { identifiers: string[] } };
  };
  assert.deepEqual(admin.credentials.oidc?.identifiers, ["loopback:alice-sub"]);

  // Two hours later the session is too old: JSON 403, browser 303 to the refresh login.
  w.s.clock.advance(2 * HOUR);
  const old = await sdk.createBrowserSettingsFlow();
  const tooOld = await sdk
    .updateSettingsFlow({ flow: old.id, updateSettingsFlowBody: { method: "oidc", unlink: "loopback" } })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(tooOld instanceof ResponseError);
  assert.equal(tooOld.response.status, 403);
  assert.equal(
    ((await tooOld.response.json()) as { error: { id: string } }).error.id,
    "session_refresh_required",
  );
  const browser = await jar.fetch(
    url(w.s, `/self-service/settings?flow=${old.id}`),
    form({ unlink: "loopback", csrf_token: csrfOf(old as never) }),
  );
  assert.equal(browser.status, 303);
  assert.match(
    browser.headers.get("location") ?? "",
    /\/self-service\/login\/browser\?refresh=true&return_to=/,
  );
});
