import assert from "node:assert/strict";
import { test } from "node:test";
import { attributes, byId, formWithButton, headings, regions, textById } from "./html.ts";
import { Browser, NEW_PASSWORD, onlyForm, PASSWORD, path, server, signUp } from "./support.ts";

const PROFILE = { name: "method", value: "profile" };
const PASSWORD_METHOD = { name: "method", value: "password" };

/** The input named `name` on a page: its attributes. */
function input(html: string, name: string): Record<string, string> {
  for (const m of html.matchAll(/<input\b([^>]*)>/gi)) {
    const a = attributes(m[1] ?? "");
    if (a.name === name) return a;
  }
  assert.fail(`no input named ${name}`);
}

test("the whole path through the built-in UI: sign up, settings, sign out, sign in", async (t) => {
  const s = await server(t);
  const b = new Browser(s);

  // Sign up: /ui/registration -> init endpoint -> the page with a flow; the form posts to the REST API.
  const reg = await b.get("/ui/registration");
  assert.deepEqual(
    reg.chain.map((c) => [path(c.url), c.status]),
    [
      ["/ui/registration", 303],
      ["/self-service/registration/browser", 303],
      ["/ui/registration", 200],
    ],
  );
  assert.equal(headings(reg.html)[0]?.text, "Create account");
  const regForm = onlyForm(reg.html);
  assert.equal(path(regForm.action), "/self-service/registration");
  assert.ok(regForm.fields.some(([n, v]) => n === "csrf_token" && v.length > 0));
  const welcome = await b.submit(
    reg,
    regForm,
    { "traits.email": "ada@example.com", "traits.name.first": "Ada", password: PASSWORD },
    PASSWORD_METHOD,
  );
  assert.equal(path(welcome.url), "/ui/welcome");
  assert.ok(b.jar.cookies.has("ory_kratos_session"), "signed in");
  assert.match(welcome.html, /signed in as <strong[^>]*>ada@example\.com<\/strong>/);
  assert.equal(headings(welcome.html)[0]?.text, "Welcome, Ada");

  // Settings from the welcome page: one form per method, each with its own CSRF token field.
  let settings = await b.click(welcome, "Account settings");
  assert.equal(path(settings.url), "/ui/settings");
  assert.equal(headings(settings.html)[0]?.text, "Account settings");
  const profile = formWithButton(settings.html, "method", "profile");
  const passwordForm = formWithButton(settings.html, "method", "password");
  assert.notEqual(profile, passwordForm);
  for (const f of [profile, passwordForm]) {
    assert.ok(
      f.fields.some(([n]) => n === "csrf_token"),
      "each form carries the CSRF token",
    );
  }
  assert.equal(input(settings.html, "traits.email").value, "ada@example.com");

  // A valid profile change.
  settings = await b.submit(settings, profile, { "traits.name.last": "Lovelace" }, PROFILE);
  assert.equal(path(settings.url), "/ui/settings");
  assert.deepEqual(regions(settings.html, "status"), ["Your changes have been saved!"]);
  assert.equal(input(settings.html, "traits.name.last").value, "Lovelace");

  // An invalid email: the error sits under its field, the value is kept, the field is marked invalid.
  const again = formWithButton(settings.html, "method", "profile");
  settings = await b.submit(settings, again, { "traits.email": "not-an-email" }, PROFILE);
  assert.equal(path(settings.url), "/ui/settings");
  const email = input(settings.html, "traits.email");
  assert.equal(email.value, "not-an-email");
  assert.equal(email["aria-invalid"], "true");
  const describedBy = email["aria-describedby"]?.split(" ") ?? [];
  assert.ok(describedBy.length > 0, "the field points at its message");
  const messageText = textById(settings.html, describedBy[0]!);
  assert.match(messageText ?? "", /valid email/i);
  assert.equal(byId(settings.html, describedBy[0]!)?.attrs.class, "message message--error");
  // The field's message comes right after the field, inside the same wrapper.
  assert.match(settings.html, /name="traits\.email"[^>]*><p id="[^"]+" class="message message--error"/);
  assert.deepEqual(regions(settings.html, "status"), [], "no success message with an error");

  // A password change.
  const pw = formWithButton(settings.html, "method", "password");
  settings = await b.submit(settings, pw, { password: NEW_PASSWORD }, PASSWORD_METHOD);
  assert.equal(path(settings.url), "/ui/settings");
  assert.deepEqual(regions(settings.html, "status"), ["Your changes have been saved!"]);
  assert.equal(input(settings.html, "password").value, undefined, "passwords are never echoed");

  // Sign out through the welcome page's link.
  const home = await b.click(settings, "Back to your account");
  assert.equal(path(home.url), "/ui/welcome");
  const out = await b.click(home, "Sign out");
  assert.equal(path(out.url), "/ui/welcome");
  assert.ok(!b.jar.cookies.has("ory_kratos_session"), "session cookie cleared");
  assert.match(out.html, /You are not signed in/);

  // The old password fails with a message; the new one works.
  const login = await b.click(out, "Sign in");
  assert.equal(path(login.url), "/ui/login");
  assert.equal(headings(login.html)[0]?.text, "Sign in");
  const failed = await b.submit(
    login,
    onlyForm(login.html),
    { identifier: "ada@example.com", password: PASSWORD },
    PASSWORD_METHOD,
  );
  assert.equal(path(failed.url), "/ui/login");
  assert.deepEqual(regions(failed.html, "alert"), [
    "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.",
  ]);
  assert.equal(input(failed.html, "identifier").value, "ada@example.com", "the identifier is kept");
  const ok = await b.submit(failed, onlyForm(failed.html), { password: NEW_PASSWORD }, PASSWORD_METHOD);
  assert.equal(path(ok.url), "/ui/welcome");
  assert.match(ok.html, /signed in as <strong[^>]*>ada@example\.com<\/strong>/);
});

test("a privileged change with an old session goes through 'Confirm it's you' and is applied on return", async (t) => {
  const s = await server(t, {
    selfservice: { flows: { settings: { privileged_session_max_age: "5m" } } },
  });
  const b = new Browser(s);
  await signUp(b);
  let settings = await b.get("/ui/settings");
  s.clock.advance(10 * 60 * 1000);

  const pw = formWithButton(settings.html, "method", "password");
  const refresh = await b.submit(settings, pw, { password: NEW_PASSWORD }, PASSWORD_METHOD);
  assert.equal(path(refresh.url), "/ui/login");
  assert.equal(headings(refresh.html)[0]?.text, "Confirm it's you");
  assert.deepEqual(regions(refresh.html, "status"), [
    "Please confirm this action by verifying that it is you.",
  ]);
  const form = onlyForm(refresh.html);
  // The identifier is fixed (hidden); only the password is asked for.
  assert.ok(form.fields.some(([n, v]) => n === "identifier" && v === "ada@example.com"));

  settings = await b.submit(refresh, form, { password: PASSWORD }, PASSWORD_METHOD);
  assert.equal(path(settings.url), "/ui/settings");
  assert.deepEqual(regions(settings.html, "status"), ["Your changes have been saved!"]);

  // The new password is the one that works now.
  const home = await b.get("/ui/welcome");
  const out = await b.click(home, "Sign out");
  const login = await b.click(out, "Sign in");
  const ok = await b.submit(
    login,
    onlyForm(login.html),
    { identifier: "ada@example.com", password: NEW_PASSWORD },
    PASSWORD_METHOD,
  );
  assert.equal(path(ok.url), "/ui/welcome");
});

test("/ui/login?refresh=true while signed in renders the re-authentication flow", async (t) => {
  const s = await server(t);
  const b = new Browser(s);
  await signUp(b);
  const page = await b.get("/ui/login?refresh=true");
  assert.equal(path(page.chain[1]!.url), "/self-service/login/browser");
  assert.equal(new URL(page.chain[1]!.url).searchParams.get("refresh"), "true");
  assert.equal(headings(page.html)[0]?.text, "Confirm it's you");
  assert.match(page.html, /data-message-id="1010003"/);
  assert.match(page.html, /role="status"/);
});
