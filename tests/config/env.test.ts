import assert from "node:assert/strict";
import { relative } from "node:path";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { configLeaves, envOverrides } from "../../server/config/env.ts";
import { loadConfig } from "../../server/config/load.ts";
import { assertConfigError, tempDir } from "./helpers.ts";

const tmp = tempDir();
after(() => tmp.cleanup());

const load = (env: Record<string, string | undefined>) => loadConfig({ env });

describe("environment overrides", () => {
  test("every key path has its own variable name (no two paths collide)", () => {
    const leaves = configLeaves();
    for (const name of [
      "DSN",
      "DEV",
      "SERVE_PUBLIC_PORT",
      "SERVE_PUBLIC_BASE_URL",
      "SELFSERVICE_FLOWS_SETTINGS_UI_URL",
      "SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE",
      "SELFSERVICE_ALLOWED_RETURN_URLS",
      "SECRETS_COOKIE",
      "LOG_LEVEL",
      "IDENTITY_SCHEMAS",
      "IDENTITY_DEFAULT_SCHEMA_ID",
      "HASHERS_BCRYPT_COST",
    ]) {
      assert.ok(leaves.has(name), `${name} is not a known variable`);
    }
    assert.deepEqual(leaves.get("SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE")?.path, [
      "selfservice",
      "flows",
      "settings",
      "privileged_session_max_age",
    ]);
  });

  test("a number", () => {
    const config = load({ SERVE_PUBLIC_PORT: "8080", HASHERS_BCRYPT_COST: " 10 " });
    assert.equal(config.serve.public.port, 8080);
    assert.equal(config.hashers.bcrypt.cost, 10);
  });

  test("strings, and nested keys whose names contain underscores", () => {
    const config = load({
      DSN: "memory",
      SERVE_PUBLIC_BASE_URL: "https://auth.example.com/",
      SELFSERVICE_FLOWS_SETTINGS_UI_URL: "https://app.example.com/settings",
      SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE: "15m",
      SELFSERVICE_METHODS_PASSWORD_CONFIG_MIN_PASSWORD_LENGTH: "12",
      LOG_LEVEL: "debug",
    });
    assert.equal(config.dsn, "memory");
    assert.equal(config.serve.public.base_url, "https://auth.example.com/");
    assert.equal(config.selfservice.flows.settings.ui_url, "https://app.example.com/settings");
    assert.equal(config.selfservice.flows.settings.privileged_session_max_age, "15m");
    assert.equal(config.selfservice.methods.password.config.min_password_length, 12);
    assert.equal(config.log.level, "debug");
  });

  test("booleans: true/false/1/0", () => {
    assert.equal(load({ DEV: "true" }).dev, true);
    assert.equal(load({ DEV: "1" }).dev, true);
    assert.equal(load({ DEV: "FALSE" }).dev, false);
    assert.equal(
      load({ SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED: "0" }).selfservice.methods.password
        .config.haveibeenpwned_enabled,
      false,
    );
  });

  test("arrays: comma-separated or JSON", () => {
    assert.deepEqual(
      load({ SELFSERVICE_ALLOWED_RETURN_URLS: "http://a/, http://b/" }).selfservice.allowed_return_urls,
      ["http://a/", "http://b/"],
    );
    assert.deepEqual(
      load({ SECRETS_COOKIE: '["a-secret,with-a-comma", "another-long-secret"]' }).secrets.cookie,
      ["a-secret,with-a-comma", "another-long-secret"],
    );
  });

  test("arrays of objects as JSON", () => {
    const schema = tmp.write("env.schema.json", '{"type":"object"}');
    const config = load({
      IDENTITY_SCHEMAS: JSON.stringify([{ id: "default", url: pathToFileURL(schema).href }]),
      SELFSERVICE_FLOWS_SETTINGS_AFTER_PASSWORD_HOOKS: '[{"hook":"revoke_active_sessions"}]',
    });
    assert.deepEqual(config.identity.schemas, [{ id: "default", url: pathToFileURL(schema).href }]);
    assert.deepEqual(config.selfservice.flows.settings.after.password.hooks, [
      { hook: "revoke_active_sessions" },
    ]);
  });

  test("relative schema URLs from the environment resolve against the working directory", () => {
    const file = tmp.write("env-relative.yml", "dsn: memory\n");
    const schema = tmp.write("env-relative.schema.json", '{"type":"object"}');
    const url = `file://${relative(process.cwd(), schema)}`;
    const config = loadConfig({ file, env: { IDENTITY_SCHEMAS: JSON.stringify([{ id: "default", url }]) } });
    assert.equal(config.identity.schemas[0]?.url, pathToFileURL(schema).href);
  });

  test("unknown and empty variables are ignored", () => {
    const config = load({
      PATH: "/usr/bin",
      HOME: "/root",
      SERVE_PUBLIC: "x",
      SERVE_PUBLIC_PORT: "",
      UNKNOWN_KEY: "1",
    });
    assert.equal(config.serve.public.port, 4433);
    assert.deepEqual(envOverrides({ PATH: "/usr/bin", SERVE_PUBLIC: "x" }).values, {});
  });

  test("a value that cannot be coerced names the variable", () => {
    assertConfigError(
      () => load({ SERVE_PUBLIC_PORT: "eighty" }),
      'config: environment variable SERVE_PUBLIC_PORT (serve.public.port): expected an integer, received "eighty"',
    );
    assertConfigError(
      () => load({ DEV: "yes" }),
      'config: environment variable DEV (dev): expected true, false, 1 or 0, received "yes"',
    );
    assertConfigError(
      () => load({ IDENTITY_SCHEMAS: "file://x.json" }),
      'config: environment variable IDENTITY_SCHEMAS (identity.schemas): expected a JSON array, received "file://x.json"',
    );
    assertConfigError(
      () => load({ SECRETS_COOKIE: '["unterminated' }),
      /^config: environment variable SECRETS_COOKIE \(secrets\.cookie\): expected a JSON array or comma-separated values/,
    );
  });

  test("a value that fails validation names the key and the variable", () => {
    assertConfigError(
      () => load({ SERVE_PUBLIC_PORT: "70000" }),
      "config: serve.public.port: must be at most 65535 (set by environment variable SERVE_PUBLIC_PORT)",
    );
    assertConfigError(
      () => load({ SELFSERVICE_FLOWS_SETTINGS_LIFESPAN: "forever" }),
      "config: selfservice.flows.settings.lifespan: must be a duration such as 1h, 30m or 10s (set by environment variable SELFSERVICE_FLOWS_SETTINGS_LIFESPAN)",
    );
  });
});
