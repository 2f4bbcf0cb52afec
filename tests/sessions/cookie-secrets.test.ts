import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createCookieSealer } from "../../server/crypto/cookie-seal.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const OLD = "old-cookie-secret-0123456789abcdef";
const NEW = "new-cookie-secret-fedcba9876543210";
const PASSWORD = "Cookie-secret-horse-7421";

/** Registers through the browser-less API and signs in with a browser flow, returning the session cookie. */
async function signInCookie(s: TestServer, email: string): Promise<string> {
  const reg = (await (await fetch(new URL("self-service/registration/api", s.publicUrl))).json()) as {
    id: string;
  };
  const registered = await fetch(new URL(`self-service/registration?flow=${reg.id}`, s.publicUrl), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ method: "password", password: PASSWORD, traits: { email } }),
  });
  assert.equal(registered.status, 200, await registered.clone().text());

  const init = await fetch(new URL("self-service/login/browser", s.publicUrl), {
    headers: { accept: "application/json" },
  });
  const csrfCookie = init.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const flow = (await init.json()) as {
    id: string;
    ui: { nodes: { attributes: { name?: string; value?: unknown } }[] };
  };
  const csrf = flow.ui.nodes.find((n) => n.attributes.name === "csrf_token")!.attributes.value as string;
  const res = await fetch(new URL(`self-service/login?flow=${flow.id}`, s.publicUrl), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      cookie: csrfCookie.join("; "),
    },
    body: JSON.stringify({ method: "password", identifier: email, password: PASSWORD, csrf_token: csrf }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("ory_kratos_session="));
  assert.ok(cookie, "session cookie set");
  return cookie.split(";")[0]!.slice("ory_kratos_session=".length);
}

const whoami = (s: TestServer, value: string) =>
  fetch(new URL("sessions/whoami", s.publicUrl), { headers: { cookie: `ory_kratos_session=${value}` } });

test("the session cookie is sealed with secrets.cookie: not the token, tamper-proof, rotation-friendly", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-cookie-secrets-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dsn = `sqlite://${join(dir, "db.sqlite")}`;

  const first = await startTestServer({ secrets: { cookie: [OLD] } }, { dsn });
  const cookie = await signInCookie(first, "rotate@example.org");
  assert.match(cookie, /^v1\.[A-Za-z0-9_-]+$/, "Kratos's cookie codec format");
  assert.doesNotMatch(cookie, /ory_st_/, "the token is not readable in the cookie");
  assert.equal((await whoami(first, cookie)).status, 200);

  // Every flipped character makes the cookie absent (401), never a 500.
  for (const index of [3, 20, cookie.length - 1]) {
    const flipped = cookie.slice(0, index) + (cookie[index] === "A" ? "B" : "A") + cookie.slice(index + 1);
    assert.equal((await whoami(first, flipped)).status, 401, `tampered at ${index}`);
  }
  // The raw session token in the cookie is not accepted either.
  const tokenLike = createCookieSealer([OLD]).open(
    "kratos/session",
    "ory_kratos_session",
    cookie,
    new Date(),
    0,
  );
  assert.match(tokenLike ?? "", /^ory_st_/);
  assert.equal((await whoami(first, tokenLike!)).status, 401);
  await first.close();

  // Rotation: the new secret first, the old one still listed -> old cookies verify, new ones use NEW.
  const rotated = await startTestServer({ secrets: { cookie: [NEW, OLD] } }, { dsn });
  t.after(() => rotated.close());
  assert.equal(
    (await whoami(rotated, cookie)).status,
    200,
    "a cookie sealed with the old secret still verifies",
  );
  const fresh = await signInCookie(rotated, "fresh@example.org");
  assert.ok(createCookieSealer([NEW]).open("kratos/session", "ory_kratos_session", fresh, new Date(), 0));
  assert.equal(
    createCookieSealer([OLD]).open("kratos/session", "ory_kratos_session", fresh, new Date(), 0),
    undefined,
  );

  // Once the old secret is dropped its cookies are absent.
  const dropped = await startTestServer(
    { secrets: { cookie: [NEW] } },
    { dsn: `sqlite://${join(dir, "db.sqlite")}` },
  );
  t.after(() => dropped.close());
  assert.equal((await whoami(dropped, cookie)).status, 401);
  assert.equal((await whoami(dropped, fresh)).status, 200);
});

test("a sealed value is bound to its purpose, its cookie name and its age", () => {
  const sealer = createCookieSealer([OLD]);
  const now = new Date("2026-01-15T12:00:00Z");
  const sealed = sealer.seal("kratos/continuity", "ory_kratos_continuity", "an-id", now);
  assert.equal(sealer.open("kratos/continuity", "ory_kratos_continuity", sealed, now), "an-id");
  assert.equal(
    sealer.open("kratos/session", "ory_kratos_continuity", sealed, now),
    undefined,
    "other purpose",
  );
  assert.equal(sealer.open("kratos/continuity", "other_cookie", sealed, now), undefined, "other cookie");
  const later = new Date(now.getTime() + 16 * 60_000);
  assert.equal(
    sealer.open("kratos/continuity", "ory_kratos_continuity", sealed, later, 15 * 60_000),
    undefined,
  );
  for (const bad of ["", "v1.", "v1.!!", "v2.abc", `${sealed}x`, "x".repeat(5000)]) {
    assert.equal(
      sealer.open("kratos/continuity", "ory_kratos_continuity", bad, now),
      undefined,
      bad.slice(0, 10),
    );
  }
});

test("only the canonical encoding of a sealed value opens: unused bits of the last character changed is refused", () => {
  const sealer = createCookieSealer([OLD]);
  const now = new Date();
  // Sealed values are 24 + 16 + len(plaintext) bytes; find one whose encoding ends in unused bits.
  let sealed = "";
  for (let i = 0; i < 64 && !sealed; i++) {
    const candidate = sealer.seal("kratos/session", "ory_kratos_session", `token-${"x".repeat(i)}`, now);
    if ((candidate.length - "v1.".length) % 4 !== 0) sealed = candidate;
  }
  assert.ok(sealed, "a sealed value with a partial last group");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const last = alphabet.indexOf(sealed.at(-1)!);
  const sameBytes = `${sealed.slice(0, -1)}${alphabet[last ^ 1]}`;
  assert.deepEqual(
    Buffer.from(sameBytes.slice(3), "base64url"),
    Buffer.from(sealed.slice(3), "base64url"),
    "the altered cookie decodes to the same bytes",
  );
  assert.ok(sealer.open("kratos/session", "ory_kratos_session", sealed, now));
  assert.equal(sealer.open("kratos/session", "ory_kratos_session", sameBytes, now), undefined);
});
