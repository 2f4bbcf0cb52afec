import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  assertUnchanged,
  canLogin,
  type Json,
  NEW_PASSWORD,
  server,
  snapshot,
  storedTraits,
} from "../settings/helpers.ts";
import {
  adminProfileRequest,
  initLegacy,
  postForm,
  publicProfileRequest,
  publicSettingsRequest,
  registerSeedUser,
  requestIdFromUiRedirect,
  seedConfig,
  valuesOf,
} from "./support.ts";

// The legacy door shares the engine: hooks configured for today's settings flow run for submissions
// through the old routes too, and the adapter's code can only reach the engine, not its parts.

/** A local web hook target that records request bodies and answers with `reply`. */
async function hookTarget(
  t: { after(fn: () => Promise<void> | void): void },
  reply: () => { status: number; body?: unknown },
) {
  const calls: Json[] = [];
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      calls.push(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Json);
      const answer = reply();
      if (answer.body === undefined) res.writeHead(answer.status).end();
      else
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  t.after(() => new Promise<void>((ok) => srv.close(() => ok())));
  const { port } = srv.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, calls };
}

test("v0.1 door: a parsing web hook can refuse the change; its message lands on the old field", async (t) => {
  const hook = await hookTarget(t, () => ({
    status: 400,
    body: {
      messages: [
        { instance_ptr: "#/traits/name/first", messages: [{ id: 1234, text: "blocked", type: "error" }] },
      ],
    },
  }));
  const s = await server(
    t,
    seedConfig({
      selfservice: {
        flows: {
          settings: {
            after: {
              profile: {
                hooks: [
                  { hook: "web_hook", config: { url: hook.url, method: "POST", response: { parse: true } } },
                ],
              },
            },
          },
        },
      },
    }),
  );
  const user = await registerSeedUser(s);
  const before = await snapshot(s, user.identityId);
  const id = await initLegacy(s, user.jar, "profile");
  const request = await publicProfileRequest(s, user.jar, id);
  const res = await postForm(user.jar, request.form.action, {
    ...valuesOf(request.form.fields),
    "traits.name.first": "Blocked",
  });
  assert.equal(requestIdFromUiRedirect(s, res), id);
  assert.equal(hook.calls.length, 1, "the hook was called once");
  await assertUnchanged(s, before);
  const shown = await adminProfileRequest(s, id);
  assert.deepEqual(shown.form.fields["traits.name.first"]?.errors, [
    { message: "traits.name.first: blocked" },
  ]);
  assert.equal(shown.update_successful, false);
});

test("v0.2 door: after-hooks of the method run for the strategy URL, with the changed identity", async (t) => {
  const hook = await hookTarget(t, () => ({ status: 200 }));
  const s = await server(
    t,
    seedConfig({
      selfservice: {
        flows: {
          settings: {
            after: {
              password: { hooks: [{ hook: "web_hook", config: { url: hook.url, method: "POST" } }] },
              profile: { hooks: [{ hook: "web_hook", config: { url: hook.url, method: "POST" } }] },
            },
          },
        },
      },
    }),
  );
  const user = await registerSeedUser(s);
  const id = await initLegacy(s, user.jar, "settings");
  const request = await publicSettingsRequest(s, user.jar, id);

  const password = request.methods.password!.config;
  const res = await postForm(user.jar, password.action, {
    ...valuesOf(password.fields),
    password: NEW_PASSWORD,
  });
  assert.equal(requestIdFromUiRedirect(s, res), id);
  assert.equal(await canLogin(s, user.email, NEW_PASSWORD), true);
  const profile = (await publicSettingsRequest(s, user.jar, id)).methods.profile!.config;
  const res2 = await postForm(user.jar, profile.action, {
    ...valuesOf(profile.fields),
    "traits.name.first": "Hooked",
  });
  assert.equal(requestIdFromUiRedirect(s, res2), id);
  assert.deepEqual(await storedTraits(s, user.identityId), {
    email: "foobar@ory.sh",
    name: { first: "Hooked", last: "Barbaz" },
  });
  // The default web hook body is the flow and the identity (contract §11.6), once per change.
  assert.equal(hook.calls.length, 2);
  assert.equal((hook.calls[1]!.identity as Json).id, user.identityId);
});

test("the legacy adapter imports only the engine's entry points, the door helpers and its own files", () => {
  const dir = fileURLToPath(new URL("../../server/legacy/", import.meta.url));
  const allowed = [
    /^#shared\/(legacy|flows|ui)\.ts$/,
    /^\.\.\/flows\/settings\/service\.ts$/,
    /^\.\.\/flows\/kit\/outcome\.ts$/,
    /^\.\.\/http\/(respond|router)\.ts$/,
    /^\.\.\/request\/(body|context|errors|url)\.ts$/,
    /^\.\/[\w-]+\.ts$/,
  ];
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length >= 3);
  for (const file of files) {
    const text = readFileSync(`${dir}${file}`, "utf8");
    for (const [, spec] of text.matchAll(/from "([^"]+)"/g)) {
      assert.ok(
        allowed.some((re) => re.test(spec!)),
        `server/legacy/${file} imports ${spec}: flow rules belong in the engine`,
      );
    }
  }
});
