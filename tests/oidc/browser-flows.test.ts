import assert from "node:assert/strict";
import { test } from "node:test";
import { assertSchema } from "../helpers/openapi.ts";
import { browserFlow, CookieJar, jsonnetSkip, oidcWorld, roundTrip, whoami } from "./support.ts";

test("browser sign-up with the provider creates the identity, links the subject and signs in", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await oidcWorld(t);
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "registration");
  const button = flow.ui.nodes.find((n) => n.attributes.name === "provider");
  assert.equal(button?.attributes.value, "loopback");
  const done = await roundTrip(w, jar, "registration", flow);
  assert.equal(done.status, 303, await done.clone().text());
  const { status, body: me } = await whoami(w.s, jar);
  assert.equal(status, 200);
  assert.equal(me.identity.traits.email, "alice@example.com");
  assert.deepEqual(me.identity.traits.name, { first: "Alice", last: "Liddell" });
  assert.equal(me.identity.verifiable_addresses[0].verified, true);
  assert.deepEqual(me.identity.metadata_public, { provider_subject: "alice-sub" });
  assert.equal(me.authentication_methods[0].method, "oidc");

  // The admin API shows the credential; the tokens only with include_credential=oidc, decrypted.
  const admin = new URL(`identities/${me.identity.id}`, w.s.adminUrl);
  const plain = (await (await fetch(admin)).json()) as {
    credentials: Record<string, { identifiers: string[]; config?: unknown }>;
  };
  assertSchema("identity", plain);
  assert.deepEqual(plain.credentials.oidc?.identifiers, ["loopback:alice-sub"]);
  assert.equal(plain.credentials.oidc?.config, undefined);
  admin.searchParams.set("include_credential", "oidc");
  const full = (await (await fetch(admin)).json()) as {
    credentials: {
      oidc: {
        config: {
          providers: {
            provider: string;
            subject: string;
            initial_id_token: string;
            initial_access_token: string;
          }[];
        };
      };
    };
  };
  const linked = full.credentials.oidc.config.providers[0]!;
  assert.equal(linked.provider, "loopback");
  assert.equal(linked.subject, "alice-sub");
  assert.match(linked.initial_id_token, /^eyJ/);
  assert.ok(linked.initial_access_token.length > 0);
  // Stored encrypted (aes): the database holds no token in the clear.
  const stored = await w.s.store.getIdentity(me.identity.id);
  const storedConfig = JSON.stringify(stored?.credentials.find((c) => c.type === "oidc")?.config);
  assert.ok(!storedConfig.includes(linked.initial_id_token));
  assert.ok(!storedConfig.includes(linked.initial_access_token));

  // Signing in again with the same subject finds the identity.
  const other = new CookieJar();
  const login = await browserFlow(w.s, other, "login");
  const back = await roundTrip(w, other, "login", login);
  assert.equal(back.status, 303);
  const { body: again } = await whoami(w.s, other);
  assert.equal(again.identity.id, me.identity.id);
  assert.equal(again.authentication_methods[0].provider, "loopback");
});
