import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openStore } from "../../db/open.ts";
import { createApp } from "../../server/app.ts";
import { ManualClock } from "../../server/clock.ts";
import { envOverrides } from "../../server/config/env.ts";
import { REFUSED_WHEN_IGNORED } from "../../server/config/kratos-compat.ts";
import { loadConfig } from "../../server/config/load.ts";
import { listen } from "../../server/listen.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { assertConfigError, tempDir } from "./helpers.ts";

const QUICKSTART = fileURLToPath(new URL("../fixtures/kratos-quickstart/", import.meta.url));
const tmp = tempDir();
after(() => tmp.cleanup());

/** Loads a config, collecting warning lines instead of printing them. */
function loadWithWarnings(options: Parameters<typeof loadConfig>[0]) {
  const warnings: string[] = [];
  const config = loadConfig({ env: {}, ...options, warn: (line) => warnings.push(line) });
  return { config, warnings };
}

/**
 * The ignored keys each quickstart names in its one warning line (none for `cloud` and
 * `email-password`: Tessera implements all of their keys, `code`/`link`, TOTP's issuer and
 * `use_continue_with_transitions` included).
 */
const QUICKSTARTS: Record<string, string | undefined> = {
  "all-strategies":
    "config: warning: ignoring 4 Kratos keys Tessera does not implement: selfservice.methods.webauthn.config, selfservice.methods.passkey.config, selfservice.flows.registration.after.passkey, selfservice.flows.registration.after.webauthn",
  cloud: undefined,
  "email-password": undefined,
  passkey:
    "config: warning: ignoring 4 Kratos keys Tessera does not implement: selfservice.methods.webauthn.config, selfservice.methods.passkey.config, selfservice.flows.registration.after.webauthn, selfservice.flows.registration.after.passkey",
  "phone-password": "config: warning: ignoring 1 Kratos key Tessera does not implement: courier.channels",
  webauthn:
    "config: warning: ignoring 1 Kratos key Tessera does not implement: selfservice.methods.webauthn.config",
};

describe("Kratos's quickstart configs start Tessera", () => {
  for (const [name, expected] of Object.entries(QUICKSTARTS)) {
    test(name, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), "tessera-quickstart-"));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      // Only the database differs from the file (Kratos's `memory` is not a Tessera DSN).
      const { config, warnings } = loadWithWarnings({
        file: join(QUICKSTART, `${name}.kratos.yml`),
        overrides: { dsn: `sqlite://${join(dir, "db.sqlite")}` },
      });
      assert.deepEqual(warnings, expected === undefined ? [] : [expected], "one warning line at most");
      assert.equal(config.ciphers.algorithm, name === "cloud" ? "noop" : "xchacha20-poly1305");

      const store = await openStore(config.dsn);
      t.after(() => store.close());
      await store.migrate();
      const app = await createApp(config, store, { clock: new ManualClock(Date.UTC(2026, 0, 15)) });
      const pub = await listen("127.0.0.1", 0);
      t.after(() => pub.close());
      pub.bind(app.public);
      const res = await fetch(new URL("self-service/registration/api", pub.url));
      assert.equal(res.status, 200);
      const flow = await res.json();
      assertSchema("registrationFlow", flow);
    });
  }
});

describe("keys Kratos knows but Tessera does not", () => {
  test("tracing, oauth2_provider and hasher tuning are ignored with one line listing them", () => {
    const { config, warnings } = loadWithWarnings({
      overrides: {
        tracing: { provider: "jaeger", service_name: "kratos" },
        oauth2_provider: { url: "http://hydra:4445" },
        hashers: { argon2: { dedicated_memory: "1GB", expected_duration: "500ms" } },
      } as never,
    });
    assert.equal(config.hashers.algorithm, "argon2");
    assert.deepEqual(warnings, [
      "config: warning: ignoring 4 Kratos keys Tessera does not implement: tracing, oauth2_provider, hashers.argon2.dedicated_memory, hashers.argon2.expected_duration",
    ]);
  });

  test("an ignored key still has to be valid for Kratos", () => {
    assertConfigError(
      () =>
        loadWithWarnings({
          overrides: { courier: { channels: [{ id: "sms", type: "carrier-pigeon" }] } } as never,
        }),
      /^config: courier\.channels\[0\]\.type: must be one of .*"http".* \(Kratos's configuration schema\)$/,
    );
  });

  test("keys whose absence would weaken security refuse the start with one line", () => {
    assertConfigError(
      () =>
        loadWithWarnings({
          overrides: { serve: { public: { tls: { cert: { path: "/etc/tls.crt" } } } } } as never,
        }),
      "config: serve.public.tls: is valid for Kratos but Tessera does not terminate TLS; put a proxy in front; remove it to start",
    );
    assertConfigError(
      () =>
        loadWithWarnings({ overrides: { security: { account_enumeration: { mitigate: true } } } as never }),
      "config: security.account_enumeration.mitigate: is valid for Kratos but Tessera does not mitigate account enumeration; remove it to start",
    );
    // Set to the value that asks for nothing, the same keys are only ignored.
    const { warnings } = loadWithWarnings({
      overrides: { security: { account_enumeration: { mitigate: false } } } as never,
    });
    assert.deepEqual(warnings, [
      "config: warning: ignoring 1 Kratos key Tessera does not implement: security",
    ]);
    assert.ok(REFUSED_WHEN_IGNORED.length >= 4);
  });

  test("a key Kratos does not know is refused as before, with its did-you-mean", () => {
    const file = tmp.write("typo.yml", "serve:\n  public:\n    prot: 4433\n");
    assertConfigError(
      () => loadWithWarnings({ file }),
      'config: serve.public.prot: unknown key (did you mean "port"?)',
    );
    assertConfigError(
      () => loadWithWarnings({ overrides: { ciphers: { algoritm: "aes" } } as never }),
      'config: ciphers.algoritm: unknown key (did you mean "algorithm"?)',
    );
    // Next to an ignored Kratos key, a typo is still a typo.
    assertConfigError(
      () => loadWithWarnings({ overrides: { tracing: {}, sesion: {} } as never }),
      'config: sesion: unknown key (did you mean "session"?)',
    );
  });

  test("ciphers: Kratos's three algorithms, and a cipher secret when one encrypts", () => {
    for (const algorithm of ["noop", "aes", "xchacha20-poly1305"] as const) {
      const { config } = loadWithWarnings({
        overrides: { ciphers: { algorithm }, secrets: { cipher: ["32-LONG-SECRET-NOT-SECURE-AT-ALL"] } },
      });
      assert.equal(config.ciphers.algorithm, algorithm);
    }
    assertConfigError(
      () => loadWithWarnings({ overrides: { ciphers: { algorithm: "rot13" as never } } }),
      'config: ciphers.algorithm: must be one of "noop", "aes", "xchacha20-poly1305", received "rot13"',
    );
    assertConfigError(
      () => loadWithWarnings({ overrides: { ciphers: { algorithm: "aes" } } }),
      'config: secrets.cipher: is required when ciphers.algorithm is "aes"',
    );
  });
});

describe("misspelt environment overrides", () => {
  test("SERVE_PUBLIC_PROT warns with a did-you-mean and is ignored", () => {
    const { config, warnings } = loadWithWarnings({ env: { SERVE_PUBLIC_PROT: "4999" } });
    assert.equal(config.serve.public.port, 4433);
    assert.deepEqual(warnings, [
      'config: warning: environment variable SERVE_PUBLIC_PROT is not a configuration key (did you mean "SERVE_PUBLIC_PORT"?); ignoring it',
    ]);
  });

  test("other programs' variables and Kratos-only variables stay quiet", () => {
    const { misspelt } = envOverrides({
      SESSION_MANAGER: "local/host:@/tmp/.ICE-unix/1234",
      SERVE_PUBLIC_TLS_CERT_PATH: "/etc/tls.crt",
      PATH: "/usr/bin",
      LOG_LEVEL: "debug",
    });
    assert.deepEqual(misspelt, []);
  });
});
