import assert from "node:assert/strict";
import { test } from "node:test";
import type { UiContainer, UiNode } from "#shared/ui.ts";
import { escapeHtml } from "../../server/pages/html.ts";
import { htmlPattern, renderFlow, renderGlobalMessages } from "../../server/pages/render-flow.ts";
import { attributes, forms, headings, inputs, labels, regions, selects } from "./html.ts";
import { Browser, onlyForm, path, server } from "./support.ts";

function input(
  group: string,
  name: string,
  type: string,
  extra: Record<string, unknown> = {},
  label?: string,
): UiNode {
  return {
    type: "input",
    group,
    attributes: { name, type, disabled: false, node_type: "input", ...extra },
    messages: [],
    meta: label ? { label: { id: 1070002, text: label, type: "info" } } : {},
  } as UiNode;
}

const ui = (nodes: UiNode[], messages?: UiContainer["messages"]): UiContainer => ({
  action: "https://id.example/self-service/settings?flow=abc",
  method: "POST",
  nodes,
  ...(messages ? { messages } : {}),
});

test("escapeHtml escapes the five HTML metacharacters", () => {
  assert.equal(
    escapeHtml(`<a href="x" onclick='y'>&`),
    "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;",
  );
  assert.equal(escapeHtml(undefined), "");
  assert.equal(escapeHtml(42), "42");
});

test("renderFlow renders inputs generically: types, values, required, autocomplete, pattern, options", () => {
  const html = renderFlow(
    ui([
      input("default", "csrf_token", "hidden", { value: "tok", required: true }),
      input(
        "profile",
        "traits.email",
        "email",
        { value: "a@b.example", required: true, autocomplete: "email" },
        "E-Mail",
      ),
      input("profile", "traits.age", "number", { value: 42 }, "Age"),
      input("profile", "traits.newsletter", "checkbox", { value: true }, "Newsletter"),
      input(
        "profile",
        "traits.plan",
        "text",
        { value: "pro", options: [{ value: "free" }, { value: "pro" }] },
        "Plan",
      ),
      input("profile", "traits.code", "text", { pattern: "[A-Z]{3}" }),
      input("profile", "method", "submit", { value: "profile" }, "Save"),
    ]),
    { id: "t" },
  );
  const form = onlyForm(html);
  assert.equal(form.action, "https://id.example/self-service/settings?flow=abc");
  assert.equal(form.method, "POST");
  assert.deepEqual(form.fields, [
    ["csrf_token", "tok"],
    ["traits.email", "a@b.example"],
    ["traits.age", "42"],
    ["traits.newsletter", "true"],
    ["traits.plan", "pro"],
    ["traits.code", ""],
  ]);
  const email = inputs(html).find((i) => i.attrs.name === "traits.email")!.attrs;
  assert.equal(email.type, "email");
  assert.ok("required" in email);
  assert.equal(email.autocomplete, "email");
  const code = inputs(html).find((i) => i.attrs.name === "traits.code")!.attrs;
  assert.equal(code.pattern, ".*(?:[A-Z]{3}).*", "schema patterns match anywhere, HTML's the whole value");
  assert.equal(selects(html).length, 1);
  // A trait without a title still gets a label, derived from its name.
  const codeLabel = labels(html).find((l) => l.attrs.for === code.id);
  assert.equal(codeLabel?.text, "Code (optional)");
  assert.match(html, /<button type="submit"[^>]* name="method"[^>]* value="profile"[^>]*>Save<\/button>/);
  assert.match(html, /<fieldset class="group group--profile">/);
});

test("node messages sit under their field, tied with aria-describedby; errors set aria-invalid", () => {
  const bad = input("profile", "traits.email", "email", { value: "nope" }, "E-Mail");
  bad.messages = [
    { id: 4000040, text: "Enter a valid email address", type: "error" },
    { id: 1, text: "We will send a code", type: "info" },
  ];
  const hint = input("profile", "traits.nick", "text", {}, "Nickname");
  hint.messages = [{ id: 2, text: "Shown to others", type: "info" }];
  const html = renderFlow(ui([bad, hint]), { id: "t" });
  const email = inputs(html).find((i) => i.attrs.name === "traits.email")!.attrs;
  assert.equal(email["aria-invalid"], "true");
  assert.equal(email["aria-describedby"], `${email.id}-message-0 ${email.id}-message-1`);
  assert.match(
    html,
    new RegExp(
      `<p id="${email.id}-message-0" class="message message--error"[^>]*>Enter a valid email address</p>`,
    ),
  );
  const nick = inputs(html).find((i) => i.attrs.name === "traits.nick")!.attrs;
  assert.equal(nick["aria-invalid"], undefined, "info messages do not make a field invalid");
  assert.equal(nick["aria-describedby"], `${nick.id}-message-0`);
});

test("global messages: errors in role=alert, info and success in role=status", () => {
  const html = renderGlobalMessages([
    { id: 4000006, text: "Wrong <credentials>", type: "error" },
    { id: 1050001, text: "Your changes have been saved!", type: "success" },
  ]);
  assert.deepEqual(regions(html, "alert"), ["Wrong <credentials>"]);
  assert.ok(html.includes("Wrong &lt;credentials&gt;"));
  assert.deepEqual(regions(html, "status"), ["Your changes have been saved!"]);
  assert.equal(renderGlobalMessages(undefined), "");
});

test("one form per group repeats the hidden CSRF input in each", () => {
  const html = renderFlow(
    ui([
      input("default", "csrf_token", "hidden", { value: "tok" }),
      input("profile", "traits.email", "email", { value: "a@b.example" }, "E-Mail"),
      input("profile", "method", "submit", { value: "profile" }, "Save"),
      input("password", "password", "password", { required: true }, "Password"),
      input("password", "method", "submit", { value: "password" }, "Save"),
      input("oidc", "link", "submit", { value: "github" }, "Link GitHub"),
    ]),
    { id: "s", formPerGroup: true },
  );
  const all = forms(html);
  assert.deepEqual(
    all.map((f) => f.attrs.id),
    ["s-form-profile", "s-form-password", "s-form-oidc"],
  );
  for (const f of all) assert.deepEqual(f.fields[0], ["csrf_token", "tok"]);
  assert.match(html, /<legend>Profile<\/legend>/);
  assert.match(html, /<legend>Change password<\/legend>/);
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, "ids are unique across forms");
});

test("other node types render safely; unsafe URLs are dropped", () => {
  const nodes = [
    {
      type: "text",
      group: "totp",
      attributes: {
        text: { id: 1050006, text: "SECRET<1>", type: "info" },
        id: "totp_secret_key",
        node_type: "text",
      },
      messages: [],
      meta: { label: { id: 1050017, text: "Secret", type: "info" } },
    },
    {
      type: "img",
      group: "totp",
      attributes: {
        src: "data:image/png;base64,iVBORw0KGgo=",
        id: "totp_qr",
        width: 256,
        height: 256,
        node_type: "img",
      },
      messages: [],
      meta: { label: { id: 1050005, text: "QR code", type: "info" } },
    },
    {
      type: "a",
      group: "default",
      attributes: {
        href: "javascript:alert(1)",
        title: { id: 1, text: "bad", type: "info" },
        id: "bad",
        node_type: "a",
      },
      messages: [],
      meta: {},
    },
    {
      type: "a",
      group: "default",
      attributes: {
        href: "https://ok.example/x",
        title: { id: 1, text: "ok", type: "info" },
        id: "ok",
        node_type: "a",
      },
      messages: [],
      meta: {},
    },
  ] as unknown as UiNode[];
  const html = renderFlow(ui(nodes), { id: "x" });
  assert.ok(html.includes("SECRET&lt;1&gt;"));
  assert.match(
    html,
    /<img id="x-totp_qr" src="data:image\/png;base64,iVBORw0KGgo=" alt="QR code" width="256" height="256">/,
  );
  assert.ok(!html.includes("javascript:"));
  assert.match(html, /<a id="x-ok" href="https:\/\/ok\.example\/x">ok<\/a>/);
  assert.equal(attributes(" a=\"1\" b c='2'").b, "");
});

test("htmlPattern keeps anchored patterns and wraps the rest", () => {
  assert.equal(htmlPattern("^[a-z]+$"), "^[a-z]+$");
  assert.equal(htmlPattern("[a-z]"), ".*(?:[a-z]).*");
  assert.ok(new RegExp(`^(?:${htmlPattern("b")})$`, "v").test("abc"));
});

test("a new trait in the identity schema appears on the pages without code changes", async (t) => {
  const schema = {
    $id: "https://example.com/custom.schema.json",
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      traits: {
        type: "object",
        properties: {
          email: {
            type: "string",
            format: "email",
            title: "Email address",
            "ory.sh/kratos": { credentials: { password: { identifier: true } } },
          },
          nickname: { type: "string", title: "Nickname", pattern: "^[a-z]+$", maxLength: 20 },
          newsletter: { type: "boolean", title: "Send me news" },
        },
        required: ["email", "nickname"],
        additionalProperties: false,
      },
    },
  };
  const url = `base64://${Buffer.from(JSON.stringify(schema)).toString("base64")}`;
  const s = await server(t, { identity: { default_schema_id: "custom", schemas: [{ id: "custom", url }] } });
  const b = new Browser(s);
  const reg = await b.get("/ui/registration");
  const nick = inputs(reg.html).find((i) => i.attrs.name === "traits.nickname")!.attrs;
  assert.equal(labels(reg.html).find((l) => l.attrs.for === nick.id)?.text, "Nickname");
  assert.ok("required" in nick);
  assert.equal(nick.pattern, "^[a-z]+$");
  assert.ok(
    inputs(reg.html).some((i) => i.attrs.name === "traits.newsletter" && i.attrs.type === "checkbox"),
  );

  const welcome = await b.submit(
    reg,
    onlyForm(reg.html),
    {
      "traits.email": "nick@example.com",
      "traits.nickname": "nick",
      "traits.newsletter": "true",
      password: "Tessera-correct-horse-7421",
    },
    { name: "method", value: "password" },
  );
  assert.equal(path(welcome.url), "/ui/welcome");
  assert.equal(headings(welcome.html)[0]?.text, "Welcome");
  const settings = await b.get("/ui/settings");
  const profile = forms(settings.html)[0]!;
  assert.ok(profile.fields.some(([n, v]) => n === "traits.nickname" && v === "nick"));
  assert.ok(
    profile.fields.some(([n, v]) => n === "traits.newsletter" && v === "true"),
    "checkbox checked",
  );
});
