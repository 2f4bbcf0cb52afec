import assert from "node:assert/strict";
import { test } from "node:test";
import { form } from "../helpers/http.ts";
import { buttons, forms, headings, inputs, labels, links, regions, selects } from "./html.ts";
import { Browser, type Loaded, onlyForm, PASSWORD, path, server, signUp } from "./support.ts";

const NO_CACHE = "private, no-cache, no-store, must-revalidate";

/** Structural accessibility checks every page must pass. */
function assertAccessiblePage(page: Loaded): void {
  const where = page.url;
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8", where);
  assert.equal(page.headers.get("cache-control"), NO_CACHE, where);
  assert.match(page.html, /^<!doctype html>\n<html lang="en">/, where);
  assert.match(page.html, /<meta name="viewport" content="width=device-width, initial-scale=1">/, where);
  assert.equal(headings(page.html).length, 1, `one h1 on ${where}`);
  assert.equal((page.html.match(/<main\b/g) ?? []).length, 1, `one main on ${where}`);
  assert.match(page.html, /<link rel="stylesheet" href="\/ui\/style\.css">/, where);

  // Every visible control has a <label for> pointing at its id; ids are unique.
  const ids = [...page.html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, `duplicate ids on ${where}`);
  const labelled = new Set(labels(page.html).map((l) => l.attrs.for));
  const controls = [...inputs(page.html), ...selects(page.html)].filter((c) => c.attrs.type !== "hidden");
  for (const c of controls) {
    assert.ok(c.attrs.id, `${c.attrs.name} has an id on ${where}`);
    assert.ok(labelled.has(c.attrs.id), `${c.attrs.name} has a label on ${where}`);
  }
  for (const l of labels(page.html)) assert.ok(ids.includes(l.attrs.for), `label for=${l.attrs.for} matches`);
  for (const btn of buttons(page.html)) assert.ok(btn.text.length > 0, `a button without text on ${where}`);
  // aria-describedby only names ids that exist.
  for (const m of page.html.matchAll(/aria-describedby="([^"]+)"/g)) {
    for (const id of m[1]!.split(" ")) assert.ok(ids.includes(id), `aria-describedby=${id} exists`);
  }
}

test("every page is a complete, labelled, uncached HTML document", async (t) => {
  const s = await server(t);
  const b = new Browser(s);
  const signedOut = await b.get("/ui/welcome");
  assertAccessiblePage(signedOut);
  const registration = await b.get("/ui/registration");
  assertAccessiblePage(registration);
  const login = await b.get("/ui/login");
  assertAccessiblePage(login);
  assert.equal(controlsOf(login).length, 2, "identifier and password");
  assertAccessiblePage(await b.get("/ui/error?id=00000000-0000-0000-0000-000000000000"));

  // A failed registration (bad email, short password): fields keep values and messages are tied.
  const failed = await b.submit(
    registration,
    onlyForm(registration.html),
    { "traits.email": "nope", password: "x" },
    { name: "method", value: "password" },
  );
  assert.equal(path(failed.url), "/ui/registration");
  assertAccessiblePage(failed);
  assert.match(failed.html, /aria-invalid="true"/);

  await signUp(b);
  const welcome = await b.get("/ui/welcome");
  assertAccessiblePage(welcome);
  const settings = await b.get("/ui/settings");
  assertAccessiblePage(settings);
  assert.equal(forms(settings.html).length, 2, "profile and password forms");
  assert.ok(controlsOf(settings).length >= 4);
  assertAccessiblePage(await b.get("/ui/login?refresh=true"));
});

function controlsOf(page: Loaded) {
  return inputs(page.html).filter((i) => i.attrs.type !== "hidden");
}

test("trait values are escaped everywhere (XSS)", async (t) => {
  const s = await server(t);
  const b = new Browser(s);
  const evil = "<script>alert(1)</script>";
  const quote = `"><img src=x onerror=alert(2)>`;
  // A failed registration echoes the submitted traits back into the form.
  const reg = await b.get("/ui/registration");
  const failed = await b.submit(
    reg,
    onlyForm(reg.html),
    {
      "traits.email": "not-an-email",
      "traits.name.first": evil,
      "traits.name.last": quote,
      password: PASSWORD,
    },
    { name: "method", value: "password" },
  );
  assert.equal(path(failed.url), "/ui/registration");
  assert.ok(!failed.html.includes(evil) && !failed.html.includes("<img"), "registration page is escaped");
  assert.ok(failed.html.includes('value="&lt;script&gt;alert(1)&lt;/script&gt;"'));

  await signUp(b, {
    "traits.email": "eve@example.com",
    "traits.name.first": evil,
    "traits.name.last": quote,
  });
  for (const page of [await b.get("/ui/welcome"), await b.get("/ui/settings")]) {
    // The pages' one script is the same-origin enhancement; nothing else may be a script.
    const withoutOwn = page.html.replace('<script src="/ui/enhance.js" defer></script>', "");
    assert.ok(!withoutOwn.includes("<script"), `no script tag on ${page.url}`);
    assert.ok(!page.html.includes("<img"), `no injected tag on ${page.url}`);
    assert.ok(page.html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), `shown escaped on ${page.url}`);
  }
  const settings = await b.get("/ui/settings");
  const profile = forms(settings.html).find((f) => f.fields.some(([n]) => n === "traits.name.first"))!;
  assert.ok(
    profile.fields.some(([n, v]) => n === "traits.name.first" && v === evil),
    "round-trips intact",
  );
  assert.ok(profile.fields.some(([n, v]) => n === "traits.name.last" && v === quote));
});

test("the error page shows a stored error; an unknown id is a friendly 404", async (t) => {
  const s = await server(t);
  const b = new Browser(s);
  const unknown = await b.get("/ui/error?id=5b2a3c64-9a3e-4f2b-8a51-0f7b8d7b6a11");
  assert.equal(unknown.status, 404);
  assert.equal(headings(unknown.html)[0]?.text, "We couldn't find that");
  assert.match(unknown.html, /doesn't exist or is no longer available/);
  assert.equal((await b.get("/ui/error")).status, 404, "no id at all");

  // A browser form post to an unknown login flow lands on the error container.
  const res = await b.post(
    b.url("/self-service/login?flow=5b2a3c64-9a3e-4f2b-8a51-0f7b8d7b6a12"),
    new URLSearchParams(form({ method: "password" }).body as string),
  );
  assert.equal(path(res.chain[1]!.url), "/ui/error");
  assert.equal(res.status, 200);
  assert.equal(headings(res.html)[0]?.text, "Something went wrong");
  assert.deepEqual(regions(res.html, "alert"), ["Unable to locate the resource"]);
  assert.match(res.html, /The login request could not be found\. Please restart the flow\./);
  assert.match(res.html, /404 Not Found/);

  const stub = await b.get("/ui/error?id=stub:500");
  assert.equal(stub.status, 200);
  assert.match(stub.html, /This is a stub error\./);
});

test("flow pages redirect to their init endpoints: no id, unknown id, expired flow", async (t) => {
  const s = await server(t);
  const b = new Browser(s);
  const first = async (p: string) => {
    const res = await b.jar.fetch(b.url(p));
    await res.arrayBuffer();
    assert.equal(res.status, 303, p);
    return new URL(res.headers.get("location")!, b.url("/"));
  };
  const login = await first("/ui/login?return_to=%2Fself-service%2Fsettings%2Fbrowser&refresh=true");
  assert.equal(login.pathname, "/self-service/login/browser");
  assert.equal(login.searchParams.get("return_to"), "/self-service/settings/browser");
  assert.equal(login.searchParams.get("refresh"), "true");
  assert.equal((await first("/ui/registration")).pathname, "/self-service/registration/browser");
  assert.equal((await first("/ui/settings")).pathname, "/self-service/settings/browser");
  assert.equal((await first("/ui/login?flow=not-a-uuid")).pathname, "/self-service/login/browser");
  assert.equal(
    (await first("/ui/registration?flow=5b2a3c64-9a3e-4f2b-8a51-0f7b8d7b6a11")).pathname,
    "/self-service/registration/browser",
  );
  assert.equal((await first("/ui")).pathname, "/ui/welcome");
  assert.equal((await first("/ui/")).pathname, "/ui/welcome");

  // Expired: back to the init endpoint, which makes a fresh flow.
  const page = await b.get("/ui/login");
  const oldId = new URL(page.url).searchParams.get("flow")!;
  s.clock.advance(2 * 60 * 60 * 1000);
  const again = await b.get(`/ui/login?flow=${oldId}`);
  assert.equal(path(again.chain[1]!.url), "/self-service/login/browser");
  assert.equal(path(again.url), "/ui/login");
  assert.notEqual(new URL(again.url).searchParams.get("flow"), oldId);
});

test("/ui/settings without a session redirects to sign-in, then back to settings", async (t) => {
  const s = await server(t);
  const b = new Browser(s);
  await signUp(b);
  const settings = await b.get("/ui/settings");
  const flowUrl = settings.url;
  b.jar.cookies.delete("ory_kratos_session");

  const res = await b.jar.fetch(flowUrl);
  assert.equal(res.status, 303);
  const location = new URL(res.headers.get("location")!);
  assert.equal(location.pathname, "/self-service/login/browser");
  assert.equal(new URL(location.searchParams.get("return_to")!).pathname, "/self-service/settings/browser");

  const login = await b.get(flowUrl);
  assert.equal(path(login.url), "/ui/login");
  const back = await b.submit(
    login,
    onlyForm(login.html),
    { identifier: "ada@example.com", password: PASSWORD },
    { name: "method", value: "password" },
  );
  assert.equal(path(back.url), "/ui/settings");
  assert.equal(headings(back.html)[0]?.text, "Account settings");
});

test("a flow opened with another browser's CSRF cookie shows a start-again page, not a loop", async (t) => {
  const s = await server(t);
  const a = new Browser(s);
  const page = await a.get("/ui/login");
  const other = new Browser(s);
  const res = await other.get(page.url);
  assert.equal(res.status, 403);
  assert.equal(headings(res.html)[0]?.text, "Please start again");
  const again = links(res.html).find((l) => l.text === "Start again");
  assert.equal(path(again!.attrs.href!), "/self-service/login/browser");
});

test("another identity's settings flow id starts a fresh flow", async (t) => {
  const s = await server(t);
  const ada = new Browser(s);
  await signUp(ada);
  const adaSettings = await ada.get("/ui/settings");
  const eve = new Browser(s);
  await signUp(eve, { "traits.email": "eve@example.com" });
  const res = await eve.get(adaSettings.url);
  assert.equal(path(res.url), "/ui/settings");
  assert.notEqual(res.url, adaSettings.url);
  assert.ok(res.html.includes('value="eve@example.com"'));
  assert.ok(!res.html.includes("ada@example.com"));
});

test("the stylesheet is served as cacheable CSS", async (t) => {
  const s = await server(t);
  const res = await fetch(new URL("ui/style.css", s.publicUrl));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/css; charset=utf-8");
  assert.match(res.headers.get("cache-control") ?? "", /max-age=\d+/);
  const css = await res.text();
  assert.match(css, /:focus-visible/);
  assert.match(css, /@media/);
});

test("the welcome page signed out links to sign in and sign up", async (t) => {
  const s = await server(t);
  const b = new Browser(s);
  const page = await b.get("/ui/welcome");
  assert.equal(page.status, 200);
  const texts = links(page.html).map((l) => l.text);
  assert.ok(texts.includes("Sign in") && texts.includes("Create account"));
  const reg = await b.click(page, "Create account");
  assert.equal(path(reg.url), "/ui/registration");
  const login = await b.click(reg, "Sign in");
  assert.equal(path(login.url), "/ui/login");
  const back = await b.click(login, "Create an account");
  assert.equal(path(back.url), "/ui/registration");
});
