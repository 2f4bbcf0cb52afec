import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_REDACTION_TEXT } from "../../server/observe/redact.ts";
import { jsonLoggedServer, requestLines } from "./support.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("one request line per request on both listeners, with the caller's X-Request-Id echoed", async (t) => {
  const { s, lines } = await jsonLoggedServer(t);
  const pub = await fetch(new URL("health/alive", s.publicUrl), {
    headers: { "x-request-id": "edge-42.a:b" },
  });
  assert.equal(pub.status, 200);
  assert.equal(pub.headers.get("x-request-id"), "edge-42.a:b");
  const adm = await fetch(new URL("admin/identities", s.adminUrl));
  assert.equal(adm.status, 200);
  const generated = adm.headers.get("x-request-id");
  assert.match(generated ?? "", UUID);

  const logged = requestLines(lines);
  assert.equal(logged.length, 2, JSON.stringify(lines));
  const [first, second] = logged;
  assert.equal(first!.level, "info");
  assert.equal(first!.request_id, "edge-42.a:b");
  assert.equal(first!.listener, "public");
  assert.equal(first!.method, "GET");
  assert.equal(first!.path, "/health/alive");
  assert.equal(first!.route, "/health/alive");
  assert.equal(first!.status, 200);
  assert.equal(typeof first!.duration_ms, "number");
  assert.match(String(first!.time), /^\d{4}-\d\d-\d\dT/);
  assert.equal(second!.request_id, generated);
  assert.equal(second!.listener, "admin");
  assert.equal(second!.route, "/identities", "the admin prefix is routed away: the pattern is the bare one");
});

test("an implausible X-Request-Id (spaces, too long, control characters) is replaced, not echoed", async (t) => {
  const { s, lines } = await jsonLoggedServer(t);
  for (const bad of ["has space", "x".repeat(129), "a\tb", "<script>"]) {
    const res = await fetch(new URL("health/alive", s.publicUrl), { headers: { "x-request-id": bad } });
    const id = res.headers.get("x-request-id");
    assert.match(id ?? "", UUID, bad);
    assert.equal(requestLines(lines).at(-1)!.request_id, id);
  }
});

test("an unknown path and a 404 are logged with their status under the route 'unmatched'", async (t) => {
  const { s, lines } = await jsonLoggedServer(t);
  const res = await fetch(new URL("no/such/thing", s.publicUrl));
  assert.equal(res.status, 404);
  const line = requestLines(lines).at(-1)!;
  assert.equal(line.status, 404);
  assert.equal(line.route, "unmatched");
  assert.equal(line.path, "/no/such/thing");
});

test("query values that may be secret are redacted in request lines; ids and switches stay", async (t) => {
  const { s, lines } = await jsonLoggedServer(t);
  await fetch(
    new URL(
      "self-service/logout?token=ory_lo_secret&return_to=https%3A%2F%2Fapp.example%2F%3Fcode%3D1&flow=abc",
      s.publicUrl,
    ),
    { redirect: "manual" },
  );
  const line = requestLines(lines).at(-1)!;
  assert.equal(line.path, "/self-service/logout?token=*&return_to=*&flow=abc");
  assert.doesNotMatch(JSON.stringify(lines), /ory_lo_secret/);
});

test("with log.leak_sensitive_values the query is logged as sent", async (t) => {
  const { s, lines } = await jsonLoggedServer(t, { log: { leak_sensitive_values: true } });
  await fetch(new URL("self-service/logout?token=ory_lo_secret&flow=abc", s.publicUrl), {
    redirect: "manual",
  });
  assert.equal(requestLines(lines).at(-1)!.path, "/self-service/logout?token=ory_lo_secret&flow=abc");
  assert.ok(DEFAULT_REDACTION_TEXT.includes("leak_sensitive_values"));
});

test("above info no request line is written, and the id is still returned", async (t) => {
  const { s, lines } = await jsonLoggedServer(t, {}, "warn");
  const res = await fetch(new URL("health/alive", s.publicUrl), { headers: { "x-request-id": "quiet-1" } });
  assert.equal(res.headers.get("x-request-id"), "quiet-1");
  assert.deepEqual(requestLines(lines), []);
});

test("a redirect (immutable headers) still carries the request id", async (t) => {
  const { s } = await jsonLoggedServer(t);
  const res = await fetch(new URL("self-service/login/browser", s.publicUrl), {
    redirect: "manual",
    headers: { "x-request-id": "redirect-1" },
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("x-request-id"), "redirect-1");
});
