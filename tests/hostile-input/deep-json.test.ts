import assert from "node:assert/strict";
import { test } from "node:test";
import { apiFlow, registerApi, snapshot } from "../settings/helpers.ts";
import {
  adminUrl,
  assertErrorRefusedDeep,
  assertFlowRefusedDeep,
  assertTrpcRefusedDeep,
  DEEP_CASES,
  deepJson,
  errorLines,
  jsonOf,
  loggedServer,
  publicUrl,
  sendJson,
  type TestServer,
} from "./support.ts";

// Issue 8: JSON nested 10,000 and 100,000 levels deep, objects and arrays, on every JSON endpoint.
// Each is the documented 400 for that endpoint (never a 500), nothing is written, nothing is logged
// as an error, and the account still works afterwards.

async function identityCount(s: TestServer): Promise<number> {
  const res = await fetch(adminUrl(s, "/admin/identities?page_size=1000"), {
    headers: { accept: "application/json" },
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as unknown[]).length;
}

for (const { depth, shape } of DEEP_CASES) {
  const label = `depth ${depth.toLocaleString("en")} ${shape}s`;
  const deep = deepJson(depth, shape);

  test(`settings submit, ${label}: 400 flow with 4000001, identity unchanged, flow still works`, async (t) => {
    const { s, log } = await loggedServer(t);
    const user = await registerApi(s);
    const before = await snapshot(s, user.identityId);
    const flow = await apiFlow(s, user.token);
    const res = await sendJson(
      publicUrl(s, `/self-service/settings?flow=${flow.id}`),
      `{"method":"profile","traits":{"email":"ada@example.com","name":${deep}}}`,
      { headers: { "x-session-token": user.token } },
    );
    await assertFlowRefusedDeep(res);
    assert.deepEqual(await snapshot(s, user.identityId), before);
    // The account is not bricked: a new flow renders and a normal update goes through.
    const again = await apiFlow(s, user.token);
    const ok = await sendJson(
      publicUrl(s, `/self-service/settings?flow=${again.id}`),
      JSON.stringify({ method: "profile", traits: { email: "ada@example.com", name: { first: "Ada" } } }),
      { headers: { "x-session-token": user.token } },
    );
    assert.equal(ok.status, 200, await ok.text());
    assert.deepEqual(errorLines(log), []);
  });

  test(`login submit, ${label}: 400 flow with 4000001`, async (t) => {
    const { s, log } = await loggedServer(t);
    const flow = await jsonOf(await fetch(publicUrl(s, "/self-service/login/api")));
    const res = await sendJson(
      publicUrl(s, `/self-service/login?flow=${flow.id}`),
      `{"method":"password","identifier":${deep},"password":"x"}`,
    );
    await assertFlowRefusedDeep(res);
    assert.deepEqual(errorLines(log), []);
  });

  test(`registration submit, ${label}: 400 flow with 4000001, no identity created`, async (t) => {
    const { s, log } = await loggedServer(t);
    const flow = await jsonOf(await fetch(publicUrl(s, "/self-service/registration/api")));
    const res = await sendJson(
      publicUrl(s, `/self-service/registration?flow=${flow.id}`),
      `{"method":"password","password":"Tessera-correct-horse-7421","traits":{"email":"eve@example.com","name":${deep}}}`,
    );
    await assertFlowRefusedDeep(res);
    assert.equal(await identityCount(s), 0);
    assert.deepEqual(errorLines(log), []);
  });

  test(`admin identities create/update/patch, ${label}: 400 envelope, nothing written`, async (t) => {
    const { s, log } = await loggedServer(t);
    const user = await registerApi(s);
    const before = await snapshot(s, user.identityId);
    await assertErrorRefusedDeep(
      await sendJson(
        adminUrl(s, "/admin/identities"),
        `{"schema_id":"default","traits":{"email":"eve@example.com"},"metadata_public":${deep}}`,
      ),
    );
    await assertErrorRefusedDeep(
      await sendJson(
        adminUrl(s, `/admin/identities/${user.identityId}`),
        `{"schema_id":"default","state":"active","traits":{"email":"ada@example.com","name":${deep}}}`,
        { method: "PUT" },
      ),
    );
    await assertErrorRefusedDeep(
      await sendJson(
        adminUrl(s, `/admin/identities/${user.identityId}`),
        `[{"op":"replace","path":"/metadata_public","value":${deep}}]`,
        { method: "PATCH" },
      ),
    );
    assert.equal(await identityCount(s), 1);
    assert.deepEqual(await snapshot(s, user.identityId), before);
    assert.deepEqual(errorLines(log), []);
  });

  test(`tRPC settings.submit and identities.create, ${label}: 400 BAD_REQUEST, nothing written`, async (t) => {
    const { s, log } = await loggedServer(t);
    const user = await registerApi(s);
    const before = await snapshot(s, user.identityId);
    const flow = await apiFlow(s, user.token);
    await assertTrpcRefusedDeep(
      await sendJson(
        publicUrl(s, "/trpc/settings.submit"),
        `{"flow":"${flow.id}","body":{"method":"profile","traits":{"email":"ada@example.com","name":${deep}}}}`,
        { headers: { "x-session-token": user.token } },
      ),
    );
    await assertTrpcRefusedDeep(
      await sendJson(
        adminUrl(s, "/admin/trpc/identities.create"),
        `{"schema_id":"default","traits":{"email":"eve@example.com"},"metadata_public":${deep}}`,
      ),
    );
    assert.equal(await identityCount(s), 1);
    assert.deepEqual(await snapshot(s, user.identityId), before);
    assert.deepEqual(errorLines(log), []);
  });
}

test("a document within the bounds still goes through (depth 64)", async (t) => {
  const { s } = await loggedServer(t);
  const res = await sendJson(
    adminUrl(s, "/admin/identities"),
    `{"schema_id":"default","traits":{"email":"eve@example.com"},"metadata_public":${deepJson(63, "object")}}`,
  );
  assert.equal(res.status, 201, await res.text());
});

test("more than 10,000 keys in a body: 400 envelope", async (t) => {
  const { s } = await loggedServer(t);
  const many = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, i]));
  const res = await sendJson(
    adminUrl(s, "/admin/identities"),
    JSON.stringify({ schema_id: "default", traits: { email: "eve@example.com" }, metadata_public: many }),
  );
  const body = await jsonOf(res);
  assert.equal(res.status, 400);
  assert.match((body.error as { reason: string }).reason, /more than the maximum allowed 10000 object keys/);
});
