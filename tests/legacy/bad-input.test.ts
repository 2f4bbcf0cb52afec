import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { deepJson, errorLines, loggedServer } from "../hostile-input/support.ts";
import { assertUnchanged, registerBrowser, snapshot } from "../settings/helpers.ts";
import { initLegacy, url } from "./support.ts";

// Hostile input on the old routes: never a 5xx, a JSON caller always gets JSON, nothing logged as an
// error and nothing written (no request below carries the flow's CSRF token).

const ODD_IDS = [
  "",
  "not-a-uuid",
  "a".repeat(5000),
  "%00",
  "\u202eA",
  "00000000-0000-0000-0000-000000000000",
];

test("hostile bodies and ids on the v0.1/v0.2 routes: no 5xx, JSON for JSON callers, nothing saved", async (t) => {
  const { s, log } = await loggedServer(t);
  const user = await registerBrowser(s);
  const before = await snapshot(s, user.identityId);
  const id = await initLegacy(s, user.jar, "settings");

  const paths = [
    "/self-service/browser/flows/profile/update",
    "/self-service/browser/flows/settings/strategies/profile",
    "/self-service/browser/flows/settings/strategies/password",
    "/self-service/browser/flows/settings/strategies/__proto__",
    "/self-service/browser/flows/settings/strategies/%2e%2e",
    "/self-service/browser/flows/requests/profile",
    "/self-service/browser/flows/requests/settings",
    "/self-service/browser/flows/login",
  ];
  const bodies: { type: string; text: string }[] = [
    { type: "application/json", text: deepJson(10_000, "object") },
    { type: "application/json", text: deepJson(10_000, "array") },
    { type: "application/json", text: "{not json" },
    { type: "application/json", text: "[1,2]" },
    { type: "application/json", text: "null" },
    {
      type: "application/json",
      text: '{"__proto__":{"polluted":1},"traits":{"constructor":{"prototype":1}}}',
    },
    { type: "application/json", text: '{"method":"password","password":"Tessera-correct-horse-7421"}' },
    {
      type: "application/x-www-form-urlencoded",
      text: "traits.__proto__.x=1&__proto__[y]=2&method=password",
    },
    { type: "application/x-www-form-urlencoded", text: "traits=&traits.email=&%=%%" },
    { type: "text/plain", text: "password=x" },
  ];

  const check = async (res: Response, asJson: boolean, what: string) => {
    assert.ok(res.status < 500, `${what}: ${res.status} ${await res.clone().text()}`);
    if (asJson && res.status >= 200 && res.status !== 302 && res.status !== 303) {
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/, what);
    }
    await res.body?.cancel();
  };

  for (const path of paths) {
    for (const body of bodies) {
      const asJson = body.type === "application/json";
      const res = await user.jar.fetch(url(s, `${path}?request=${id}`), {
        method: "POST",
        headers: { "content-type": body.type, ...(asJson ? { accept: "application/json" } : {}) },
        body: body.text,
      });
      await check(res, asJson, `POST ${path} ${body.text.slice(0, 40)}`);
    }
    for (const odd of ODD_IDS) {
      const target = `${url(s, path)}?request=${encodeURIComponent(odd)}`;
      await check(
        await user.jar.fetch(target, { headers: { accept: "application/json" } }),
        true,
        `GET ${path} ${odd.slice(0, 20)}`,
      );
      const admin = new URL(path.replace(/^\//, ""), s.adminUrl);
      admin.searchParams.set("request", odd);
      await check(await fetch(admin), true, `admin GET ${path}`);
    }
  }

  // And a few hundred random ones: a random old route, id and form or JSON body.
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...paths),
      fc.oneof(fc.constant(id), fc.constantFrom(...ODD_IDS), fc.uuid()),
      fc.dictionary(
        fc.oneof(
          fc.constantFrom("traits.email", "traits.name.first", "password", "method", "csrf_token"),
          fc.string(),
        ),
        fc.string({ maxLength: 30 }),
        { maxKeys: 5 },
      ),
      fc.boolean(),
      async (path, requestId, values, asJson) => {
        const res = await user.jar.fetch(`${url(s, path)}?request=${encodeURIComponent(requestId)}`, {
          method: "POST",
          headers: asJson
            ? { "content-type": "application/json", accept: "application/json" }
            : { "content-type": "application/x-www-form-urlencoded" },
          body: asJson ? JSON.stringify(values) : new URLSearchParams(values).toString(),
        });
        await check(res, asJson, `${path} ${JSON.stringify(values)}`);
      },
    ),
    { numRuns: 200 },
  );

  assert.deepEqual(errorLines(log), [], "nothing was logged as an error");
  await assertUnchanged(s, before);
});
