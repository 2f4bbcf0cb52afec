/**
 * Tessera's flows render in Ory's own UI library. A browser settings flow, fetched from the server
 * through the typed client (cookies and CSRF as a browser would), in two states — a field error
 * (4000040 on the email) and saved (1050001) — is rendered by `@ory/elements-react`'s `<Settings>`:
 *
 * 1. to HTML with `react-dom/server`'s `renderToString`: the traits inputs, the password field, the
 *    CSRF token and the node message are in the markup;
 * 2. hydrated in Chromium (bundled with esbuild) with Ory's stylesheet: the fields become usable, and
 *    the flow's global message, which Ory Elements shows as a toast from an effect (so never in
 *    server HTML), appears. Screenshots: test-output/screenshots/ory-elements/.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { createTesseraClient, csrfTokenOf, type PublicOutputs } from "../../client/index.ts";
import { CookieJar } from "../helpers/http.ts";
import { attrOf, oryConfig, renderSettings, tagWithTestId } from "../helpers/ory-elements.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { eventually, launchBrowser, openPage, PASSWORD, Screenshots, see, TEST_TIMEOUT } from "./support.ts";

type SettingsFlow = PublicOutputs["settings"]["get"];

/** A signed-in browser (cookie jar) with a browser settings flow, through the typed client. */
async function signedInBrowser(s: TestServer) {
  const jar = new CookieJar();
  const trpc = createTesseraClient({ url: s.publicUrl, fetch: jar.fetch });
  const reg = await trpc.registration.create.mutate({ type: "browser" });
  const done = await trpc.registration.submit.mutate({
    flow: reg.id,
    body: {
      method: "password",
      password: PASSWORD,
      traits: { email: "ada@example.com", name: { first: "Ada" } },
      csrf_token: csrfTokenOf(reg) ?? "",
    },
  });
  assert.equal(done.status, "success");
  const flow = await trpc.settings.create.mutate({ type: "browser" });
  assert.equal(flow.type, "browser");
  return { trpc, flow, jar };
}

interface Rendered {
  s: TestServer;
  /** The flow id both states belong to. */
  flowId: string;
  invalid: SettingsFlow;
  saved: SettingsFlow;
  /** The signed-in browser's cookies (session, CSRF). */
  jar: CookieJar;
}

let fixture: Rendered;

before(async () => {
  const s = await startTestServer();
  const { trpc, flow, jar } = await signedInBrowser(s);
  // A field error: 4000040 on the email, the typed value kept.
  const invalid = await trpc.settings.submit.mutate({
    flow: flow.id,
    body: { method: "profile", traits: { email: "not-an-email" }, csrf_token: csrfTokenOf(flow) ?? "" },
  });
  assert.equal(invalid.status, "form");
  if (invalid.status !== "form") throw new Error("unreachable");
  // Then a saved profile: the flow's global success message.
  const ok = await trpc.settings.submit.mutate({
    flow: flow.id,
    body: {
      method: "profile",
      traits: { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" } },
      csrf_token: csrfTokenOf(invalid.flow) ?? "",
    },
  });
  assert.equal(ok.status, "success");
  if (ok.status !== "success") throw new Error("unreachable");
  const { status: _status, ...saved } = ok;
  fixture = { s, flowId: flow.id, invalid: invalid.flow, saved, jar };
});

after(() => fixture?.s.close());

test("@ory/elements-react renders Tessera settings flows to HTML on the server: traits, password, CSRF, node message", () => {
  const { s, flowId, invalid, saved } = fixture;
  const errorHtml = renderSettings(s, invalid);

  const email = tagWithTestId(errorHtml, "ory/form/node/input/traits.email");
  assert.ok(email, "the email trait is rendered");
  assert.equal(attrOf(email, "name"), "traits.email");
  assert.equal(attrOf(email, "type"), "email");
  assert.equal(attrOf(email, "value"), "not-an-email");
  assert.ok(tagWithTestId(errorHtml, "ory/form/node/input/traits.name.first"), "first name trait");
  assert.ok(tagWithTestId(errorHtml, "ory/form/node/input/traits.name.last"), "last name trait");
  assert.match(errorHtml, /data-testid="ory\/form\/node\/input\/label\/traits\.email"[^>]*>E-Mail</);
  const password = tagWithTestId(errorHtml, "ory/form/node/input/password");
  assert.ok(password, "the password field is rendered");
  assert.equal(attrOf(password, "type"), "password");
  assert.match(errorHtml, /data-testid="ory\/message\/4000040"/, "the email's node message");
  const csrf = tagWithTestId(errorHtml, "ory/form/node/input/csrf_token");
  assert.equal(attrOf(csrf, "value"), csrfTokenOf(invalid), "the CSRF token as a hidden input");
  assert.ok(
    errorHtml.includes(`action="${new URL(`self-service/settings?flow=${flowId}`, s.publicUrl)}"`),
    "the forms post to Tessera's settings endpoint",
  );

  const savedHtml = renderSettings(s, saved);
  assert.equal(attrOf(tagWithTestId(savedHtml, "ory/form/node/input/traits.name.last"), "value"), "Lovelace");
  assert.doesNotMatch(savedHtml, /ory\/message\/4000040/, "the old field error is gone");
});

/** The hydration bundle: React, Ory Elements and the SDK for the browser, as one classic script. */
async function clientBundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./fixtures/ory-elements.client.ts", import.meta.url))],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    write: false,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

test("@ory/elements-react hydrates Tessera settings flows in Chromium: usable fields, node message, success toast", {
  timeout: TEST_TIMEOUT,
}, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { s, invalid, saved, jar } = fixture;
  const script = await clientBundle();
  const require = createRequire(import.meta.url);
  const css = readFileSync(require.resolve("@ory/elements-react/theme/styles.css"), "utf8");
  const { page, errors } = await openPage(browser);
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  const shots = new Screenshots("ory-elements");

  // The page lives on Tessera's origin (as an account UI behind the same host would), signed in
  // with the session the flows belong to: Ory Elements' own calls (the user menu asks Tessera for a
  // logout URL) are same-origin requests carrying the session cookie.
  await page
    .context()
    .addCookies([...jar.cookies].map(([name, value]) => ({ name, value, url: s.publicUrl })));
  const pageUrl = new URL("ory-elements-settings", s.publicUrl).toString();
  const scriptUrl = new URL("ory-elements-settings.js", s.publicUrl).toString();
  let html = "";
  await page.route(pageUrl, (route) =>
    route.fulfill({ contentType: "text/html; charset=utf-8", body: html }),
  );
  await page.route(scriptUrl, (route) =>
    route.fulfill({ contentType: "text/javascript; charset=utf-8", body: script }),
  );

  const show = async (flow: SettingsFlow) => {
    // JSON in a script element: "<" escaped so no "</script>" can end it early.
    const data = JSON.stringify({ flow, config: oryConfig(s) }).replace(/</g, "\\u003c");
    html =
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ory Elements on Tessera</title>` +
      `<style>${css}</style></head><body><div id="root">${renderSettings(s, flow)}</div>` +
      `<script type="application/json" id="ory-data">${data}</script>` +
      `<script src="${scriptUrl}"></script></body></html>`;
    await page.goto(pageUrl);
    await page.waitForFunction(() => (window as unknown as { __hydrated?: boolean }).__hydrated === true);
  };

  await show(invalid);
  const email = page.getByTestId("ory/form/node/input/traits.email");
  // Server HTML renders the inputs disabled; hydration enables them.
  await eventually(
    "the email input to be enabled after hydration",
    () => email.isEnabled({ timeout: 1_000 }),
    (v) => v,
  );
  await see.value(email, "not-an-email");
  await see.visible(page.getByTestId("ory/message/4000040"));
  await see.visible(page.getByTestId("ory/form/node/input/password"));
  await shots.take(page, "settings-field-error");

  await show(saved);
  const toast = page.getByTestId("ory/message/1050001");
  await see.visible(toast);
  assert.match((await toast.textContent()) ?? "", /Your changes have been saved!/);
  await see.value(page.getByTestId("ory/form/node/input/traits.name.last"), "Lovelace");
  await shots.take(page, "settings-saved-toast");

  assert.deepEqual(errors, [], "no uncaught errors");
  assert.deepEqual(
    consoleErrors.filter((m) => /hydrat/i.test(m)),
    [],
    "the server HTML and the client render agree (no hydration mismatch)",
  );
});
