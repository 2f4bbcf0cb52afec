import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { openStore } from "../../db/open.ts";
import { createApp } from "../../server/app.ts";
import { ConfigError } from "../../server/config/errors.ts";
import { testConfig } from "../../server/config/load.ts";
import { compileGoTemplate, TemplateSyntaxError } from "../../server/courier/go-template.ts";
import { loadEmailTemplates } from "../../server/courier/templates.ts";
import { silentLogger } from "../../server/logger.ts";
import { courierServer } from "./support.ts";

const text = (source: string, data: unknown) =>
  compileGoTemplate(source, { name: "t", html: false }).render(data);
const html = (source: string, data: unknown) =>
  compileGoTemplate(source, { name: "t", html: true }).render(data);

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "tessera-templates-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const base64 = (s: string) => `base64://${Buffer.from(s).toString("base64")}`;

describe("the Go template subset", () => {
  const model = {
    To: "ada@example.org",
    VerificationCode: "123456",
    ExpiresInMinutes: 15,
    Identity: { traits: { email: "ada@example.org", name: { first: "Ada" } }, metadata_public: null },
    TransientPayload: {},
    Tags: ["a", "b"],
  };

  test("fields, nested fields, dot and root", () => {
    assert.equal(text("{{ .VerificationCode }}", model), "123456");
    assert.equal(text("Hi {{.Identity.traits.name.first}}!", model), "Hi Ada!");
    assert.equal(
      text("{{ with .Identity.traits }}{{ .email }} {{ $.To }}{{ end }}", model),
      "ada@example.org ada@example.org",
    );
    assert.equal(text("{{ .ExpiresInMinutes }} minutes", model), "15 minutes");
  });

  test("a missing field prints <no value> in text and nothing in HTML, as Go does for maps", () => {
    assert.equal(
      text("[{{ .Nope }}] [{{ .Identity.traits.nope.deeper }}]", model),
      "[<no value>] [<no value>]",
    );
    assert.equal(html("[{{ .Nope }}]", model), "[]");
  });

  test("if / else if / else, with, range and functions", () => {
    const source =
      '{{ if eq .Identity.traits.name.first "Bob" }}Bob{{ else if .Identity.traits.name.first }}Hello {{ .Identity.traits.name.first }}{{ else }}Hello{{ end }}';
    assert.equal(text(source, model), "Hello Ada");
    assert.equal(text("{{ if .TransientPayload }}yes{{ else }}no{{ end }}", model), "no");
    assert.equal(text("{{ if not .Identity.metadata_public }}none{{ end }}", model), "none");
    assert.equal(text("{{ range .Tags }}<{{ . }}>{{ else }}empty{{ end }}", model), "<a><b>");
    assert.equal(text("{{ range .Missing }}x{{ else }}empty{{ end }}", model), "empty");
    assert.equal(
      text('{{ printf "%s has %d min" .To .ExpiresInMinutes }}', model),
      "ada@example.org has 15 min",
    );
    assert.equal(text("{{ .To | upper }}", model), "ADA@EXAMPLE.ORG");
    assert.equal(text('{{ default "friend" .Identity.traits.nickname }}', model), "friend");
    assert.equal(text('{{ index .Identity.traits "email" }}', model), "ada@example.org");
    assert.equal(
      text("{{ len .Tags }} {{ and .To .VerificationCode }} {{ or .Nope .To }}", model),
      "2 123456 ada@example.org",
    );
  });

  test("trim markers and comments", () => {
    assert.equal(text("a  {{- .To -}}  b", model), "aada@example.orgb");
    assert.equal(text("a {{/* a comment */}}b", model), "a b");
    assert.equal(text("a\n{{- /* trimmed */ -}}\nb", model), "ab");
  });

  test("HTML templates escape values like html/template", () => {
    assert.equal(
      html("<p>{{ .V }}</p>", { V: `<b>"x" & 'y' + z</b>` }),
      "<p>&lt;b&gt;&#34;x&#34; &amp; &#39;y&#39; &#43; z&lt;/b&gt;</p>",
    );
    assert.equal(text("{{ .V }}", { V: "<b>" }), "<b>");
  });

  test("what is not supported is a parse error, not a silent blank", () => {
    for (const source of [
      "{{ .A",
      "{{ if .A }}x",
      "{{ end }}",
      "{{ $x := .A }}",
      '{{ template "x" }}',
      "{{ nosuchfunction .A }}",
      "{{ else }}",
      '{{ "unterminated }}',
    ]) {
      assert.throws(() => text(source, {}), TemplateSyntaxError, source);
    }
  });
});

describe("template overrides", () => {
  const model = {
    To: "ada@example.org",
    VerificationCode: "987654",
    ExpiresInMinutes: 5,
    Identity: { traits: { email: "ada@example.org" } },
  };

  test("without overrides Kratos's built-in texts are used", async () => {
    const templates = await loadEmailTemplates(testConfig().courier);
    const rendered = await templates.render({
      template: "verification_code.valid",
      to: "ada@example.org",
      model,
    });
    assert.equal(rendered.subject, "Use code 987654 to verify your account");
    assert.match(rendered.body, /^Verify your account with the following code:\n\n987654\n/);
    assert.match(rendered.html ?? "", /<a href=/);
  });

  test("file:// and base64:// URLs replace subject and bodies; parts left out keep the built-in text", async (t) => {
    const dir = tempDir(t);
    const htmlFile = join(dir, "body.html.gotmpl");
    writeFileSync(htmlFile, "<p>Code for {{ .Identity.traits.email }}: <b>{{ .VerificationCode }}</b></p>");
    const config = testConfig({
      courier: {
        templates: {
          verification_code: {
            valid: {
              email: {
                subject: base64("Your code: {{ .VerificationCode }}\n"),
                body: {
                  html: pathToFileURL(htmlFile).toString(),
                  plaintext: base64("Code {{ .VerificationCode }}"),
                },
              },
            },
          },
          recovery_code: { valid: { email: { subject: base64("Recovery {{ .RecoveryCode }}") } } },
        },
      },
    });
    const templates = await loadEmailTemplates(config.courier);
    const rendered = await templates.render({
      template: "verification_code.valid",
      to: "ada@example.org",
      model,
    });
    assert.deepEqual(rendered, {
      subject: "Your code: 987654",
      body: "Code 987654",
      html: "<p>Code for ada@example.org: <b>987654</b></p>",
    });
    const recovery = await templates.render({
      template: "recovery_code.valid",
      to: "ada@example.org",
      model: { RecoveryCode: "111", ExpiresInMinutes: 1 },
    });
    assert.equal(recovery.subject, "Recovery 111");
    assert.match(recovery.body, /^Recover access to your account by entering the following code:\n\n111\n/);
  });

  test("courier.template_override_path is read in Kratos's folder layout", async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, "verification_code", "valid"), { recursive: true });
    writeFileSync(
      join(dir, "verification_code", "valid", "email.subject.gotmpl"),
      "From the folder: {{ .VerificationCode }}\n",
    );
    writeFileSync(
      join(dir, "verification_code", "valid", "email.body.plaintext.gotmpl"),
      "Folder body {{ .To }}",
    );
    const templates = await loadEmailTemplates(
      testConfig({ courier: { template_override_path: dir } }).courier,
    );
    const rendered = await templates.render({
      template: "verification_code.valid",
      to: "ada@example.org",
      model,
    });
    assert.equal(rendered.subject, "From the folder: 987654");
    assert.equal(rendered.body, "Folder body ada@example.org");
    // No email.body.gotmpl in the folder: the built-in HTML stays.
    assert.match(rendered.html ?? "", /Verify your account with the following code/);
  });

  test("verifiable_address_changed (one variant) is replaced by courier.templates and by the folder", async (t) => {
    const changed = {
      To: "old@example.org",
      ChangedAt: "now",
      RevertURL: "https://x/r",
      RevertExpiresAt: "later",
    };
    const configured = await loadEmailTemplates(
      testConfig({
        courier: {
          templates: {
            verifiable_address_changed: {
              email: {
                subject: base64("Changed for {{ .To }}\n"),
                body: { plaintext: base64("Undo: {{ .RevertURL }}") },
              },
            },
          },
        },
      }).courier,
    );
    const rendered = await configured.render({
      template: "verifiable_address_changed",
      to: "old@example.org",
      model: changed,
    });
    assert.equal(rendered.subject, "Changed for old@example.org");
    assert.equal(rendered.body, "Undo: https://x/r");
    assert.match(
      rendered.html ?? "",
      /A verifiable address \(email or phone\) on your account was recently changed/,
    );

    const dir = tempDir(t);
    mkdirSync(join(dir, "verifiable_address_changed"), { recursive: true });
    writeFileSync(
      join(dir, "verifiable_address_changed", "email.subject.gotmpl"),
      "Folder {{ .ChangedAt }}\n",
    );
    const folder = await loadEmailTemplates(testConfig({ courier: { template_override_path: dir } }).courier);
    const fromFolder = await folder.render({
      template: "verifiable_address_changed",
      to: "old@example.org",
      model: changed,
    });
    assert.equal(fromFolder.subject, "Folder now");
  });

  test("an override that cannot be read or parsed stops the server at start with a config error", async (t) => {
    const cases = [
      { subject: "file:///nonexistent/tessera/subject.gotmpl" },
      { subject: "base64://!!!" },
      { subject: "ftp://example.org/x" },
      { subject: base64("{{ if .X }}unclosed") },
    ];
    const store = await openStore("memory");
    t.after(() => store.close());
    for (const email of cases) {
      const config = testConfig({ courier: { templates: { verification: { valid: { email } } } } });
      await assert.rejects(
        createApp(config, store, { logger: silentLogger }),
        (err: Error) => err instanceof ConfigError && /^config: courier template/.test(err.message),
        JSON.stringify(email),
      );
    }
  });

  test("the override is what the person receives", async (t) => {
    const server = await courierServer(t, {
      courier: {
        templates: {
          verification_code: {
            valid: {
              email: {
                subject: base64("Hello {{ .Identity.traits.email }}"),
                body: {
                  plaintext: base64("Your code is {{ .VerificationCode }}."),
                  html: base64("<h1>{{ .VerificationCode }}</h1>"),
                },
              },
            },
          },
        },
      },
    });
    await server.queue("zed@example.org");
    await server.dispatcher().drain();
    const mail = await server.smtp.waitForMail("zed@example.org");
    assert.equal(mail.subject, "Hello zed@example.org");
    assert.equal(mail.text.trim(), "Your code is 123456.");
    assert.equal(mail.html?.trim(), "<h1>123456</h1>");
  });
});
