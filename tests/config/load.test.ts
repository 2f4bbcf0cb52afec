import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { loadConfig, testConfig } from "../../server/config/load.ts";
import { assertConfigError, tempDir } from "./helpers.ts";

const tmp = tempDir();
after(() => tmp.cleanup());

const SCHEMA = JSON.stringify({ type: "object", properties: { traits: { type: "object" } } });

describe("defaults", () => {
  test("no file, no env: the embedded defaults", () => {
    const config = testConfig();
    assert.equal(config.dsn, "sqlite://./data/tessera.sqlite");
    assert.equal(config.dev, false);
    assert.deepEqual(config.serve.public, { host: "127.0.0.1", port: 4433 });
    assert.deepEqual(config.serve.admin, { host: "127.0.0.1", port: 4434 });
    assert.equal(config.hashers.algorithm, "argon2");
    assert.equal(config.hashers.bcrypt.cost, 12);
    const flows = config.selfservice.flows;
    assert.equal(flows.settings.lifespan, "1h");
    assert.equal(flows.settings.privileged_session_max_age, "1h");
    assert.equal(flows.settings.required_aal, "highest_available");
    assert.equal(flows.login.lifespan, "1h");
    assert.equal(flows.registration.lifespan, "1h");
    assert.deepEqual(flows.registration.after.password.hooks, [{ hook: "session" }]);
    assert.deepEqual(flows.settings.after.password.hooks, []);
    assert.equal(config.session.lifespan, "24h");
    assert.equal(config.session.cookie.name, "ory_kratos_session");
    assert.equal(config.cookies.same_site, "Lax");
    assert.equal(config.selfservice.methods.password.config.min_password_length, 8);
    assert.deepEqual(config.identity, { default_schema_id: "default", schemas: [] });
    assert.equal(config.log.level, "info");
  });

  test("testConfig ignores the process environment", () => {
    process.env.SERVE_PUBLIC_PORT = "9999";
    try {
      assert.equal(testConfig().serve.public.port, 4433);
      // loadConfig without `env` reads process.env (that is what the server does).
      assert.equal(loadConfig().serve.public.port, 9999);
    } finally {
      delete process.env.SERVE_PUBLIC_PORT;
    }
  });

  test("each load returns a fresh object (mutating one does not leak into the next)", () => {
    const first = testConfig();
    first.serve.public.port = 1;
    first.selfservice.flows.registration.after.password.hooks.push({ hook: "revoke_active_sessions" });
    first.selfservice.flows.settings.after.profile.hooks.push({ hook: "session" });
    const second = testConfig();
    assert.equal(second.serve.public.port, 4433);
    assert.deepEqual(second.selfservice.flows.registration.after.password.hooks, [{ hook: "session" }]);
    assert.deepEqual(second.selfservice.flows.settings.after.profile.hooks, []);
  });

  test("overrides deep-merge over the defaults", () => {
    const config = testConfig({
      dev: true,
      serve: { public: { base_url: "http://127.0.0.1:4455/" } },
      selfservice: { flows: { settings: { privileged_session_max_age: "5m" } } },
    });
    assert.equal(config.dev, true);
    assert.equal(config.serve.public.base_url, "http://127.0.0.1:4455/");
    assert.equal(config.serve.public.port, 4433);
    assert.equal(config.selfservice.flows.settings.privileged_session_max_age, "5m");
    assert.equal(config.selfservice.flows.settings.lifespan, "1h");
  });
});

describe("YAML file", () => {
  test("reads Kratos keys", () => {
    tmp.write("identity.schema.json", SCHEMA);
    const file = tmp.write(
      "kratos.yml",
      `version: v1.3.0
dsn: memory
dev: true
serve:
  public:
    base_url: http://127.0.0.1:4433/
    cors:
      enabled: true
      allowed_origins:
        - http://127.0.0.1:3000
  admin:
    port: 5434
selfservice:
  default_browser_return_url: http://127.0.0.1:3000/
  allowed_return_urls:
    - http://127.0.0.1:3000
  methods:
    password:
      config:
        haveibeenpwned_enabled: false
    oidc:
      enabled: true
      config:
        providers:
          - id: github
            provider: github
            client_id: abc
            client_secret: def
  flows:
    settings:
      ui_url: http://127.0.0.1:3000/settings
      privileged_session_max_age: 15m
      after:
        password:
          hooks:
            - hook: revoke_active_sessions
        profile:
          hooks:
            - hook: web_hook
              config:
                url: http://127.0.0.1:9000/hook
                method: POST
    registration:
      after:
        password:
          hooks:
            - hook: session
identity:
  default_schema_id: person
  schemas:
    - id: person
      url: file://identity.schema.json
secrets:
  cookie:
    - PLEASE-CHANGE-ME-I-AM-VERY-INSECURE
session:
  lifespan: 720h
  cookie:
    same_site: Strict
hashers:
  algorithm: bcrypt
  bcrypt:
    cost: 10
log:
  level: debug
  format: json
courier:
  smtp:
    connection_uri: smtps://test:test@mailslurper:1025/?skip_ssl_verify=true
`,
    );
    const config = loadConfig({ file, env: {} });
    assert.equal(config.version, "v1.3.0");
    assert.equal(config.dsn, "memory");
    assert.equal(config.dev, true);
    assert.equal(config.serve.public.base_url, "http://127.0.0.1:4433/");
    assert.equal(config.serve.public.port, 4433);
    assert.deepEqual(config.serve.public.cors?.allowed_origins, ["http://127.0.0.1:3000"]);
    assert.equal(config.serve.public.cors?.allow_credentials, true);
    assert.equal(config.serve.admin.port, 5434);
    assert.equal(config.selfservice.methods.password.config.haveibeenpwned_enabled, false);
    assert.equal(config.selfservice.methods.password.config.min_password_length, 8);
    assert.equal(config.selfservice.methods.oidc.config.providers[0]?.id, "github");
    assert.deepEqual(config.selfservice.methods.oidc.config.providers[0]?.scope, ["openid"]);
    const settings = config.selfservice.flows.settings;
    assert.equal(settings.ui_url, "http://127.0.0.1:3000/settings");
    assert.equal(settings.privileged_session_max_age, "15m");
    assert.deepEqual(settings.after.password.hooks, [{ hook: "revoke_active_sessions" }]);
    const hook = settings.after.profile.hooks[0];
    assert.equal(hook?.hook, "web_hook");
    if (hook?.hook === "web_hook") assert.deepEqual(hook.config.response, { ignore: false, parse: false });
    assert.equal(config.identity.default_schema_id, "person");
    // A relative file:// URL is resolved against the config file's directory, and made absolute.
    assert.deepEqual(config.identity.schemas, [
      { id: "person", url: pathToFileURL(join(tmp.dir, "identity.schema.json")).href },
    ]);
    assert.deepEqual(config.secrets.cookie, ["PLEASE-CHANGE-ME-I-AM-VERY-INSECURE"]);
    assert.equal(config.session.lifespan, "720h");
    assert.equal(config.session.cookie.same_site, "Strict");
    assert.equal(config.hashers.algorithm, "bcrypt");
    assert.equal(config.hashers.bcrypt.cost, 10);
    assert.equal(config.log.format, "json");
  });

  test("a JSON file works too", () => {
    const file = tmp.write(
      "config.json",
      JSON.stringify({ dsn: "memory", serve: { public: { port: 1234 } } }),
    );
    const config = loadConfig({ file, env: {} });
    assert.equal(config.dsn, "memory");
    assert.equal(config.serve.public.port, 1234);
  });

  test("an empty file is all defaults; `key:` with no value means not set", () => {
    assert.equal(
      loadConfig({ file: tmp.write("empty.yml", "# nothing\n"), env: {} }).serve.public.port,
      4433,
    );
    const file = tmp.write("nulls.yml", "secrets:\nserve:\n  public:\n    port:\n    host: 0.0.0.0\n");
    const config = loadConfig({ file, env: {} });
    assert.deepEqual(config.secrets, {});
    assert.deepEqual(config.serve.public, { host: "0.0.0.0", port: 4433 });
  });

  test("YAML anchors and merge keys are honoured", () => {
    const file = tmp.write(
      "merge.yml",
      `selfservice:
  flows:
    login:
      after:
        password: &after
          default_browser_return_url: http://127.0.0.1:3000/
          hooks:
            - hook: revoke_active_sessions
    registration:
      after:
        oidc:
          <<: *after
`,
    );
    const config = loadConfig({ file, env: {} });
    assert.deepEqual(config.selfservice.flows.registration.after.oidc, {
      default_browser_return_url: "http://127.0.0.1:3000/",
      hooks: [{ hook: "revoke_active_sessions" }],
    });
  });

  test("precedence: file < env < overrides", () => {
    const file = tmp.write(
      "precedence.yml",
      "serve:\n  public:\n    port: 1111\n    host: file.example\n  admin:\n    port: 2222\ndsn: memory\n",
    );
    const env = { SERVE_PUBLIC_PORT: "3333", SERVE_ADMIN_PORT: "4444", DSN: "sqlite://env.sqlite" };
    const config = loadConfig({ file, env, overrides: { serve: { public: { port: 5555 } } } });
    assert.equal(config.serve.public.port, 5555); // overrides beat env and file
    assert.equal(config.serve.admin.port, 4444); // env beats file
    assert.equal(config.serve.public.host, "file.example"); // file beats defaults
    assert.equal(config.dsn, "sqlite://env.sqlite");
  });
});

describe("errors are one line naming the key path", () => {
  test("unknown key", () => {
    const error = assertConfigError(
      () => testConfig({ serve: { public: { prot: 4433 } } } as never),
      'config: serve.public.prot: unknown key (did you mean "port"?)',
    );
    assert.equal(error.path, "serve.public.prot");
  });

  test("unknown key in a file", () => {
    const file = tmp.write("typo.yml", "selfservice:\n  flows:\n    settings:\n      ui_urll: http://x/\n");
    assertConfigError(
      () => loadConfig({ file, env: {} }),
      'config: selfservice.flows.settings.ui_urll: unknown key (did you mean "ui_url"?)',
    );
  });

  test("unknown top-level key without a close match", () => {
    assertConfigError(
      () => testConfig({ totally_unknown: true } as never),
      "config: totally_unknown: unknown key",
    );
  });

  test("wrong type", () => {
    const file = tmp.write("type.yml", 'serve:\n  public:\n    port: "4433"\n');
    const error = assertConfigError(
      () => loadConfig({ file, env: {} }),
      "config: serve.public.port: expected number, received string",
    );
    assert.equal(error.path, "serve.public.port");
    assertConfigError(
      () => testConfig({ dev: "yes" } as never),
      "config: dev: expected boolean, received string",
    );
    assertConfigError(
      () => testConfig({ secrets: { cookie: "a-long-enough-secret" } } as never),
      "config: secrets.cookie: expected array, received string",
    );
  });

  test("out of range, not an integer, not one of the options, too short", () => {
    assertConfigError(
      () => testConfig({ serve: { admin: { port: 70000 } } }),
      "config: serve.admin.port: must be at most 65535",
    );
    assertConfigError(
      () => testConfig({ serve: { admin: { port: 1.5 } } }),
      "config: serve.admin.port: must be an integer, received 1.5",
    );
    assertConfigError(
      () => testConfig({ log: { level: "loud" } } as never),
      'config: log.level: must be one of "trace", "debug", "info", "warning", "warn", "error", "fatal", "panic", received "loud"',
    );
    assertConfigError(
      () => testConfig({ secrets: { cookie: ["short"] } }),
      "config: secrets.cookie[0]: must be at least 16 characters long",
    );
    assertConfigError(
      () =>
        testConfig({
          selfservice: { flows: { settings: { after: { hooks: [{ hook: "nope" }] } } } },
        } as never),
      /^config: selfservice\.flows\.settings\.after\.hooks\[0\]\.hook: must be one of "web_hook", "session", .*received "nope"$/,
    );
    assertConfigError(
      () => testConfig({ selfservice: { default_browser_return_url: "not a url" } }),
      "config: selfservice.default_browser_return_url: must be an absolute URL",
    );
  });

  test("a required key is missing", () => {
    assertConfigError(
      () => testConfig({ identity: { schemas: [{ id: "default" }] } } as never),
      "config: identity.schemas[0].url: is required (expected string)",
    );
  });

  test("bad duration", () => {
    assertConfigError(
      () => testConfig({ selfservice: { flows: { settings: { lifespan: "1 hour" } } } }),
      "config: selfservice.flows.settings.lifespan: must be a duration such as 1h, 30m or 10s",
    );
    assertConfigError(
      () => testConfig({ session: { earliest_possible_extend: "soon" } }),
      "config: session.earliest_possible_extend: must be a duration such as 1h, 30m or 10s",
    );
  });

  test("several problems stay on one line", () => {
    assertConfigError(
      () => testConfig({ dsn: 5, serve: { public: { prot: 1 } } } as never),
      'config: dsn: expected string, received number; serve.public.prot: unknown key (did you mean "port"?)',
    );
  });

  test("invalid YAML", () => {
    const file = tmp.write("broken.yml", "serve:\n  public:\n    port: [4433\n");
    assertConfigError(
      () => loadConfig({ file, env: {} }),
      /^config: .*broken\.yml: invalid YAML at line \d+: .+/,
    );
    const dup = tmp.write("dup.yml", "dsn: memory\ndsn: memory\n");
    assertConfigError(
      () => loadConfig({ file: dup, env: {} }),
      /^config: .*dup\.yml: invalid YAML at line 2: Map keys must be unique$/,
    );
  });

  test("a file whose top level is not a mapping", () => {
    const file = tmp.write("list.yml", "- a\n- b\n");
    assertConfigError(
      () => loadConfig({ file, env: {} }),
      `config: ${file}: the top level must be a mapping of configuration keys, found a list`,
    );
  });

  test("unreadable file", () => {
    const file = join(tmp.dir, "missing.yml");
    assertConfigError(
      () => loadConfig({ file, env: {} }),
      `config: cannot read file ${JSON.stringify(file)}: ENOENT: no such file or directory`,
    );
  });
});

describe("identity schema URLs", () => {
  test("a missing schema file names identity.schemas[0].url", () => {
    const file = tmp.write(
      "missing-schema.yml",
      "identity:\n  schemas:\n    - id: default\n      url: file://./nope.schema.json\n",
    );
    const error = assertConfigError(
      () => loadConfig({ file, env: {} }),
      `config: identity.schemas[0].url: schema file ${JSON.stringify(join(tmp.dir, "nope.schema.json"))} does not exist`,
    );
    assert.equal(error.path, "identity.schemas[0].url");
  });

  test("absolute file:// URLs are kept; a directory is not a schema file", () => {
    const schema = tmp.write("abs.schema.json", SCHEMA);
    const url = pathToFileURL(schema).href;
    assert.equal(
      testConfig({ identity: { schemas: [{ id: "default", url }] } }).identity.schemas[0]?.url,
      url,
    );
    mkdirSync(join(tmp.dir, "a-dir"), { recursive: true });
    assertConfigError(
      () =>
        testConfig({
          identity: { schemas: [{ id: "default", url: pathToFileURL(join(tmp.dir, "a-dir")).href }] },
        }),
      `config: identity.schemas[0].url: schema file ${JSON.stringify(join(tmp.dir, "a-dir"))} is not a file`,
    );
  });

  test("relative URLs from overrides resolve against the working directory", () => {
    const schema = tmp.write("cwd-relative.schema.json", SCHEMA);
    const config = testConfig({
      identity: { schemas: [{ id: "default", url: `file://${relative(process.cwd(), schema)}` }] },
    });
    assert.equal(config.identity.schemas[0]?.url, pathToFileURL(schema).href);
  });

  test("base64:// URLs must decode to a JSON object", () => {
    const good = `base64://${Buffer.from(SCHEMA).toString("base64")}`;
    assert.equal(
      testConfig({ identity: { schemas: [{ id: "default", url: good }] } }).identity.schemas[0]?.url,
      good,
    );
    const notJson = `base64://${Buffer.from("hello").toString("base64")}`;
    assertConfigError(
      () => testConfig({ identity: { schemas: [{ id: "default", url: notJson }] } }),
      /^config: identity\.schemas\[0\]\.url: base64:\/\/ URL does not decode to JSON \(.+\)$/,
    );
    assertConfigError(
      () => testConfig({ identity: { schemas: [{ id: "default", url: "base64://!!!" }] } }),
      "config: identity.schemas[0].url: base64:// URL does not hold base64 text",
    );
  });

  test("http(s) URLs are kept; other schemes are refused", () => {
    const url = "https://example.com/identity.schema.json";
    assert.equal(
      testConfig({ identity: { schemas: [{ id: "default", url }] } }).identity.schemas[0]?.url,
      url,
    );
    assertConfigError(
      () => testConfig({ identity: { schemas: [{ id: "default", url: "./identity.schema.json" }] } }),
      'config: identity.schemas[0].url: must be a file://, http(s):// or base64:// URL, received "./identity.schema.json"',
    );
  });

  test("schema ids are unique and include the default schema id", () => {
    const url = "https://example.com/identity.schema.json";
    assertConfigError(
      () =>
        testConfig({
          identity: {
            schemas: [
              { id: "default", url },
              { id: "default", url },
            ],
          },
        }),
      'config: identity.schemas[1].id: duplicate schema id "default" (also identity.schemas[0].id)',
    );
    assertConfigError(
      () => testConfig({ identity: { default_schema_id: "customer", schemas: [{ id: "default", url }] } }),
      'config: identity.default_schema_id: "customer" is not the id of any identity.schemas entry ("default")',
    );
  });
});
