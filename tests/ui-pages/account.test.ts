/**
 * The account centre without script (README "Built-in UI", docs/account-features.md): each section
 * renders for the signed-in person, every action is a plain form post with the CSRF token that
 * comes back with a notice, hostile values stay text, and the deletion needs the typed phrase and
 * a privileged session.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadCommandConfig } from "../../server/cli/context.ts";
import { loadConfig } from "../../server/config/load.ts";
import { type Form, forms, headings, inputs, labels, links, regions } from "./html.ts";
import { Browser, type Loaded, onlyForm, PASSWORD, path, server, signUp } from "./support.ts";

const HOUR = 60 * 60 * 1000;
const ON = { account: { export: { enabled: true }, deletion: { enabled: true } } };

/** Posts one of our own forms (no named button) as a browser without script would. */
function post(b: Browser, page: Loaded, form: Form, set: Record<string, string> = {}): Promise<Loaded> {
  const body = new URLSearchParams(form.fields);
  for (const [k, v] of Object.entries(set)) body.set(k, v);
  return b.post(new URL(form.action, page.url).toString(), body);
}

function actionPath(f: Form): string {
  return new URL(f.action, "http://localhost").pathname;
}

async function signIn(b: Browser, email = "ada@example.com", password = PASSWORD): Promise<Loaded> {
  const page = await b.get("/ui/login");
  const done = await b.submit(
    page,
    onlyForm(page.html),
    { identifier: email, password },
    { name: "method", value: "password" },
  );
  assert.equal(path(done.url), "/ui/welcome", done.html.slice(0, 1500));
  return done;
}

function sectionLinks(page: Loaded): string[] {
  const nav = /<nav class="sections"[^>]*>([\s\S]*?)<\/nav>/.exec(page.html);
  return nav ? links(nav[1]!).map((l) => l.text) : [];
}

async function identityOf(s: { adminUrl: string }) {
  const res = await fetch(new URL("admin/identities", s.adminUrl));
  return (await res.json()) as { id: string; traits: Record<string, unknown> }[];
}

test("account centre: every section renders, labelled, with the section navigation", async (t) => {
  const s = await server(t, { ...ON, selfservice: { flows: { verification: { enabled: true } } } });
  const b = new Browser(s);
  await signUp(b);
  const settings = await b.get("/ui/settings");
  assert.deepEqual(sectionLinks(settings), [
    "Profile",
    "Password",
    "Email addresses",
    "Sessions and devices",
    "Security history",
    "Your data",
  ]);
  assert.match(settings.html, /<body class="account-layout">/);
  // Addresses with their state and a way to verify.
  assert.match(settings.html, /<section id="addresses"/);
  assert.match(settings.html, /ada@example\.com <span class="badge badge--warn">not verified<\/span>/);
  assert.ok(links(settings.html).some((l) => l.text === "Verify"));
  // The password form names the account for password managers, without submitting it.
  const pw = forms(settings.html).find((f) => f.buttons.some((x) => x.attrs.value === "password"))!;
  const hint = inputs(pw.html).find((i) => i.attrs.autocomplete === "username");
  assert.ok(hint, "a username field in the password form");
  assert.equal(hint.attrs.value, "ada@example.com");
  assert.equal(hint.attrs.name, undefined, "not submitted");
  assert.ok(labels(pw.html).some((l) => l.attrs.for === hint.attrs.id));
  // Live validation is offered on the profile and password forms only.
  assert.equal(forms(settings.html).filter((f) => "data-live-validation" in f.attrs).length, 2);

  for (const [url, title] of [
    ["/ui/account/sessions", "Sessions and devices"],
    ["/ui/account/history", "Security history"],
    ["/ui/account/data", "Your data"],
  ] as const) {
    const page = await b.get(url);
    assert.equal(page.status, 200, url);
    assert.equal(headings(page.html)[0]?.text, title);
    assert.match(page.html, /aria-current="page"/);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    const ids = [...page.html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, `unique ids on ${url}`);
    for (const i of inputs(page.html).filter((x) => x.attrs.type !== "hidden")) {
      assert.ok(
        labels(page.html).some((l) => l.attrs.for === i.attrs.id),
        `${i.attrs.name} labelled`,
      );
    }
  }
  const history = await b.get("/ui/account/history");
  assert.match(history.html, /data-event="registration"/);
  assert.match(history.html, /Account created/);
  assert.equal((await b.get("/ui/account")).chain.map((c) => path(c.url))[1], "/ui/settings");

  // Bad input is a page, never a 500: a bad `before`, a JSON post, an unknown notice.
  const bad = await b.get("/ui/account/history?before=yesterday");
  assert.equal(bad.status, 200);
  assert.equal(path(bad.url), "/ui/account/history");
  const json = await b.jar.fetch(b.url("/ui/account/sessions/revoke-others"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(json.status, 400);
  assert.match(await json.text(), /This request could not be read\./);
  assert.equal(regions((await b.get("/ui/account/sessions?notice=nope")).html, "status").length, 0);
});

test("account centre: signed out, a section goes through sign-in and comes back to it", async (t) => {
  const s = await server(t, ON);
  const b = new Browser(s);
  await signUp(b);
  await b.click(await b.get("/ui/welcome"), "Sign out");
  const page = await b.get("/ui/account/history");
  assert.equal(path(page.url), "/ui/login");
  const back = await b.submit(
    page,
    onlyForm(page.html),
    { identifier: "ada@example.com", password: PASSWORD },
    { name: "method", value: "password" },
  );
  assert.equal(path(back.url), "/ui/account/history");
  assert.match(back.html, /data-event="login"/);
});

test("account centre: sign out one other session, then all others, without script; CSRF checked", async (t) => {
  const s = await server(t, ON);
  const me = new Browser(s);
  await signUp(me);
  const laptop = new Browser(s);
  const phone = new Browser(s);
  await signIn(laptop);
  s.clock.advance(60_000);
  await signIn(phone);

  let sessions = await me.get("/ui/account/sessions");
  assert.equal((sessions.html.match(/data-session="current"/g) ?? []).length, 1);
  assert.equal((sessions.html.match(/data-session="other"/g) ?? []).length, 2);
  assert.match(sessions.html, /This device/);
  const one = forms(sessions.html).filter((f) => actionPath(f) === "/ui/account/sessions/revoke");
  assert.equal(one.length, 2);
  assert.ok(one.every((f) => f.fields.some(([n, v]) => n === "csrf_token" && v.length > 0)));

  // Without the CSRF token nothing happens.
  const forged = await post(me, sessions, one[0]!, { csrf_token: "" });
  assert.equal(forged.status, 403);
  assert.equal((await me.get("/ui/account/sessions")).html.match(/data-session="other"/g)?.length, 2);

  // The laptop's session (the older one is listed last).
  sessions = await post(me, sessions, one[1]!);
  assert.equal(path(sessions.url), "/ui/account/sessions");
  assert.deepEqual(regions(sessions.html, "status"), ["That session was signed out."]);
  assert.equal((sessions.html.match(/data-session="other"/g) ?? []).length, 1);
  assert.match((await laptop.get("/ui/welcome")).html, /You are not signed in\./);
  assert.match((await phone.get("/ui/welcome")).html, /signed in as/);

  const all = forms(sessions.html).find((f) => actionPath(f) === "/ui/account/sessions/revoke-others")!;
  sessions = await post(me, sessions, all);
  assert.deepEqual(regions(sessions.html, "status"), ["All your other sessions were signed out."]);
  assert.match(sessions.html, /You are not signed in anywhere else\./);
  assert.match((await phone.get("/ui/welcome")).html, /You are not signed in\./);
  assert.match((await me.get("/ui/welcome")).html, /signed in as/);

  // Another person's session id is refused like an unknown one.
  const eve = new Browser(s);
  await signUp(eve, { "traits.email": "eve@example.com" });
  // (Eve has no other session, so she takes a CSRF token from her deletion form.)
  const evePage = await eve.get("/ui/account/data");
  const mine = (
    await s.store.listSessions((await identityOf(s)).find((i) => i.traits.email === "ada@example.com")!.id)
  )
    .filter((x) => x.active)
    .map((x) => x.id);
  const form = forms(evePage.html).find((f) => actionPath(f) === "/ui/account/deletion")!;
  const csrf = form.fields.filter(([n]) => n === "csrf_token");
  const tried = await eve.post(
    new URL("/ui/account/sessions/revoke", evePage.url).toString(),
    new URLSearchParams([...csrf, ["session_id", mine[0]!]]),
  );
  assert.deepEqual(regions(tried.html, "alert"), [
    "That session no longer exists or was already signed out.",
  ]);
  assert.match((await me.get("/ui/welcome")).html, /signed in as/);

  const history = await me.get("/ui/account/history");
  assert.match(history.html, /data-event="session_revoked"/);
  assert.match(history.html, /data-event="sessions_revoked"/);
});

test("account centre: hostile values stay text (trait, notice, user agent)", async (t) => {
  const s = await server(t, ON);
  const b = new Browser(s);
  const evil = "<script>alert(1)</script>";
  await signUp(b, { "traits.email": "eve@example.com", "traits.name.first": evil });
  const hostile = new Browser(s);
  // A User-Agent is never shown as sent: only a coarse family, itself escaped.
  const agent = `Mozilla/5.0 (X11; Linux x86_64) <img src=x onerror=alert(3)> Firefox/120.0`;
  const orig = hostile.jar.fetch;
  (hostile.jar as { fetch: typeof fetch }).fetch = (url, init = {}) =>
    orig(url, { ...init, headers: { ...(init.headers as Record<string, string>), "user-agent": agent } });
  await signIn(hostile, "eve@example.com");
  for (const url of [
    "/ui/account/sessions?notice=%3Cscript%3Ealert(2)%3C%2Fscript%3E",
    "/ui/account/history",
    "/ui/account/data?notice=deletion_scheduled%22%3E%3Cimg",
    "/ui/settings",
    "/ui/welcome",
  ]) {
    const page = await b.get(url);
    const withoutOwn = page.html.replace('<script src="/ui/enhance.js" defer></script>', "");
    assert.ok(!withoutOwn.includes("<script"), `no script tag on ${url}`);
    assert.ok(!page.html.includes("<img"), `no injected tag on ${url}`);
    assert.ok(
      !page.html.includes("alert(2)") && !page.html.includes("alert(3)"),
      `nothing reflected on ${url}`,
    );
  }
  const sessions = await b.get("/ui/account/sessions");
  assert.match(sessions.html, /Firefox on Linux/);
  assert.ok((await b.get("/ui/settings")).html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
});

test("account centre: export downloads the person's data without a secret", async (t) => {
  const s = await server(t, ON);
  const b = new Browser(s);
  await signUp(b);
  const data = await b.get("/ui/account/data");
  const download = links(data.html).find((l) => l.text === "Download your data");
  assert.ok(download);
  assert.equal(download.attrs.download, "account-export.json");
  const res = await b.jar.fetch(new URL(download.attrs.href!, data.url).toString());
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-disposition") ?? "", /attachment/);
  const text = await res.text();
  const body = JSON.parse(text) as { identity: { traits: { email: string } }; history: unknown[] };
  assert.equal(body.identity.traits.email, "ada@example.com");
  assert.ok(body.history.length > 0);
  const [session] = await s.store.listSessions((await identityOf(s))[0]!.id);
  for (const secret of ["$argon2", "$2a$", "$2b$", session!.token, session!.logoutToken, PASSWORD]) {
    assert.ok(!text.includes(secret), `no ${secret.slice(0, 8)}… in the export`);
  }
});

test("account centre: deletion needs the phrase and a privileged session, then signing in cancels it", async (t) => {
  const s = await server(t, ON);
  const b = new Browser(s);
  await signUp(b);
  const { id } = (await identityOf(s))[0]!;
  let data = await b.get("/ui/account/data");
  const form = () => forms(data.html).find((f) => actionPath(f) === "/ui/account/deletion")!;

  // The wrong phrase: the field says so, focus goes there, nothing is scheduled.
  data = await post(b, data, form(), { confirm: "delete it" });
  assert.equal(data.status, 400);
  assert.match(data.html, /aria-invalid="true"/);
  assert.match(data.html, /autofocus/);
  assert.match(data.html, /Type &quot;delete my account&quot; exactly to confirm\./);
  assert.equal(await s.store.getDeletion(id), undefined);

  // Without the CSRF token: refused.
  const forged = await post(b, data, form(), { confirm: "delete my account", csrf_token: "x" });
  assert.equal(forged.status, 403);
  assert.equal(await s.store.getDeletion(id), undefined);

  // An old session first confirms it's you, and comes back to this page.
  s.clock.advance(2 * HOUR);
  const refresh = await post(b, data, form(), { confirm: "delete my account" });
  assert.equal(path(refresh.url), "/ui/login");
  assert.equal(headings(refresh.html)[0]?.text, "Confirm it's you");
  assert.equal(await s.store.getDeletion(id), undefined);
  data = await b.submit(
    refresh,
    onlyForm(refresh.html),
    { password: PASSWORD },
    { name: "method", value: "password" },
  );
  assert.equal(path(data.url), "/ui/account/data");
  assert.deepEqual(regions(data.html, "status"), ["Thanks for confirming it's you. You can continue now."]);

  const done = await post(b, data, form(), { confirm: "Delete my account" });
  assert.equal(path(done.url), "/ui/welcome");
  assert.match(done.html, /You are not signed in\./);
  assert.deepEqual(regions(done.html, "status"), [
    "Your account will be deleted in 30 days. Sign in again before then to keep it.",
  ]);
  assert.ok(await s.store.getDeletion(id), "scheduled");
  assert.equal((await identityOf(s)).length, 1, "kept during the grace period");

  // Signing in within the grace period cancels it.
  s.clock.advance(24 * HOUR);
  await signIn(b);
  assert.equal(await s.store.getDeletion(id), undefined);
  const history = await b.get("/ui/account/history");
  assert.match(history.html, /data-event="deletion_requested"/);
  assert.match(history.html, /data-event="deletion_cancelled"/);
});

test("account centre: with export and deletion off (the schema default) there is no data section", async (t) => {
  const s = await server(t);
  const b = new Browser(s);
  await signUp(b);
  const settings = await b.get("/ui/settings");
  assert.ok(!sectionLinks(settings).includes("Your data"));
  const data = await b.get("/ui/account/data");
  assert.match(data.html, /There is nothing to manage here/);
  const res = await b.post(
    b.url("/ui/account/deletion"),
    new URLSearchParams({ confirm: "delete my account" }),
  );
  assert.equal(res.status, 404);
  assert.equal((await identityOf(s)).length, 1);
});

test("branding: name, logo and hex colours from config; anything else is refused", async (t) => {
  const s = await server(t, {
    ui: {
      branding: {
        name: "Acme <ID>",
        logo_url: "https://example.com/logo.svg",
        colors: { primary: "#0a7d55", primary_dark: "#7ee2b8" },
      },
    },
  });
  const b = new Browser(s);
  const page = await b.get("/ui/welcome");
  assert.match(page.html, /<title>Welcome · Acme &lt;ID&gt;<\/title>/);
  assert.match(page.html, /<img class="brand-logo" src="https:\/\/example\.com\/logo\.svg" alt=""/);
  const css = await (await b.jar.fetch(b.url("/ui/style.css"))).text();
  assert.match(css, /:root \{ --accent: #0a7d55; --accent-hover: #0a7d55; \}/);
  assert.match(css, /@media \(prefers-color-scheme: dark\) \{ :root \{ --accent: #7ee2b8;/);

  for (const bad of [
    { colors: { primary: "red;} body{display:none" } },
    { colors: { primary: "#12345g" } },
    { colors: { primary: "rgb(1,2,3)" } },
    { logo_url: "javascript:alert(1)" },
    { logo_url: "http://example.com/logo.png" },
    { logo_url: 'https://example.com/a"onerror=x' },
  ]) {
    assert.throws(
      () => loadConfig({ env: {}, overrides: { ui: { branding: bad } } }),
      /ui\.branding/,
      JSON.stringify(bad),
    );
  }
});

test("the zero-config run turns export and deletion on; the schema default and a config file keep them off", () => {
  const saved = { ...process.env };
  try {
    for (const k of Object.keys(process.env)) if (k.startsWith("ACCOUNT_")) delete process.env[k];
    const zero = loadCommandConfig({}).config;
    assert.equal(zero.account.export.enabled, true);
    assert.equal(zero.account.deletion.enabled, true);
    process.env.ACCOUNT_DELETION_ENABLED = "false";
    assert.equal(loadCommandConfig({}).config.account.deletion.enabled, false, "the environment still wins");
    const schema = loadConfig({ env: {} });
    assert.equal(schema.account.export.enabled, false);
    assert.equal(schema.account.deletion.enabled, false);
  } finally {
    process.env = saved;
  }
});
