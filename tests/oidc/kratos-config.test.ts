import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openStore } from "../../db/open.ts";
import { createApp } from "../../server/app.ts";
import { loadConfig } from "../../server/config/load.ts";
import { assertSchema } from "../helpers/openapi.ts";

const FIXTURE = join(import.meta.dirname, "../fixtures/kratos-oidc/kratos.yml");

test("a Kratos config with a generic provider and a jsonnet mapper (Ory's docs) starts Tessera unchanged", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-kratos-oidc-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Only the database location differs from the file (Kratos's `memory` is a process-local SQLite).
  const config = loadConfig({ file: FIXTURE, env: { DSN: `sqlite://${join(dir, "db.sqlite")}` } });
  const provider = config.selfservice.methods.oidc.config.providers[0]!;
  assert.equal(provider.id, "generic");
  assert.deepEqual(provider.requested_claims, { id_token: { email: { essential: true } } });
  const store = await openStore(config.dsn);
  await store.migrate();
  t.after(() => store.close());
  const app = await createApp(config, store);

  const res = await app.public(new Request("http://127.0.0.1:4433/self-service/login/api"));
  assert.equal(res.status, 200);
  const flow = (await res.json()) as {
    ui: { nodes: { group: string; attributes: { name: string; value?: unknown } }[] };
  };
  assertSchema("loginFlow", flow);
  const button = flow.ui.nodes.find((n) => n.group === "oidc");
  assert.deepEqual(button?.attributes.name, "provider");
  assert.deepEqual(button?.attributes.value, "generic");
});
