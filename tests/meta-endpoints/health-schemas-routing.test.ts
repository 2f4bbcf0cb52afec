import assert from "node:assert/strict";
import { test } from "node:test";
import { bodyOf, registerNative, server } from "../helpers/frontend.ts";
import { assertSchema } from "../helpers/openapi.ts";

test("health and version on both listeners (admin also under /admin), no CSRF cookie needed", async (t) => {
  const s = await server(t);
  const bases = [s.publicUrl, s.adminUrl, new URL("admin/", s.adminUrl).toString()];
  for (const base of bases) {
    const alive = await fetch(new URL("health/alive", base));
    assert.equal(alive.status, 200, base);
    const aliveBody = await bodyOf(alive);
    assertSchema("healthStatus", aliveBody);
    assert.deepEqual(aliveBody, { status: "ok" });

    const ready = await fetch(new URL("health/ready", base));
    assert.equal(ready.status, 200, base);
    assert.deepEqual(await bodyOf(ready), { status: "ok" });

    const version = await fetch(new URL("version", base));
    assert.equal(version.status, 200);
    const versionBody = await bodyOf(version);
    assertSchema("version", versionBody);
    assert.equal(typeof versionBody.version, "string");
  }
  const get = await fetch(new URL("health/alive", s.publicUrl));
  assert.equal(get.headers.get("cache-control"), "private, no-cache, no-store, must-revalidate");
});

test("health/ready answers 503 {errors} when the database is gone", async (t) => {
  const s = await server(t);
  const ping = s.store.ping.bind(s.store);
  s.store.ping = async () => false;
  t.after(() => {
    s.store.ping = ping;
  });
  const res = await fetch(new URL("health/ready", s.publicUrl));
  assert.equal(res.status, 503);
  const body = await bodyOf(res);
  assertSchema("healthNotReadyStatus", body);
  assert.equal(typeof (body.errors as Record<string, string>).database, "string");
});

test("/schemas lists the identity schemas and /schemas/{id} serves one by base64url id and by raw id", async (t) => {
  const s = await server(t);
  const list = await fetch(new URL("schemas", s.publicUrl));
  assert.equal(list.status, 200);
  const schemas = (await list.json()) as { id: string; schema: Record<string, unknown> }[];
  assertSchema("identitySchemas", schemas);
  assert.deepEqual(
    schemas.map((x) => x.id),
    ["default"],
  );
  for (const x of schemas) assertSchema("identitySchemaContainer", x);
  assert.equal((schemas[0]!.schema as { title: string }).title, "Person");

  // The identity's schema_url points at the base64url form.
  const { token } = await registerNative(s);
  const whoami = (await (
    await fetch(new URL("sessions/whoami", s.publicUrl), { headers: { "X-Session-Token": token } })
  ).json()) as { identity: { schema_url: string } };
  const encoded = Buffer.from("default").toString("base64url");
  assert.equal(whoami.identity.schema_url, new URL(`schemas/${encoded}`, s.publicUrl).toString());

  const one = await fetch(whoami.identity.schema_url);
  assert.equal(one.status, 200);
  const schema = await bodyOf(one);
  assertSchema("identitySchema", schema);
  assert.deepEqual(schema, schemas[0]!.schema);

  const raw = await fetch(new URL("schemas/default", s.publicUrl));
  assert.equal(raw.status, 200);

  const missing = await fetch(new URL(`schemas/${Buffer.from("nope").toString("base64url")}`, s.publicUrl));
  assert.equal(missing.status, 404);
  assertSchema("errorGeneric", await bodyOf(missing));
});

test("an unknown path is 404 JSON; identity routes on the public listener answer 307 to admin", async (t) => {
  const s = await server(t);
  const res = await fetch(new URL("no/such/path", s.publicUrl));
  assert.equal(res.status, 404);
  assertSchema("errorGeneric", await bodyOf(res));
  const identities = await fetch(new URL("identities?page_size=1", s.publicUrl), { redirect: "manual" });
  assert.equal(identities.status, 307);
  assert.equal(identities.headers.get("location"), new URL("identities?page_size=1", s.adminUrl).toString());
});

test("self-service routes on the admin listener answer 307 to the public listener", async (t) => {
  const s = await server(t);
  for (const path of ["self-service/login/api", "admin/self-service/registration/browser?return_to=x"]) {
    const res = await fetch(new URL(path, s.adminUrl), { redirect: "manual" });
    assert.equal(res.status, 307, path);
    assert.equal(res.headers.get("location"), new URL(path.replace(/^admin\//, ""), s.publicUrl).toString());
  }
});
