import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { startServe, tmp } from "./support.ts";

/** A raw HTTP/1.1 connection, so a test can send half a request and stop. */
function open(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((ok, fail) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => {
      data += d;
    });
    const closed = new Promise<void>((done) => socket.on("close", () => done()));
    socket.once("error", () => {});
    socket.once("connect", () => ok({ socket, received: () => data, closed }));
    socket.once("error", fail);
  });
}

function head(port: number, length: number): string {
  return [
    "POST /admin/identities HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Content-Type: application/json",
    `Content-Length: ${length}`,
    "",
    "",
  ].join("\r\n");
}

test("SIGTERM: new connections are refused, a request in flight finishes, a stalled upload is cut off and the process exits within the timeout", async (t) => {
  const dir = tmp(t);
  const { child, adminUrl, exited, stderr } = await startServe(t, dir, ["--shutdown-timeout", "1s"]);
  const port = Number(new URL(adminUrl).port);

  const body = JSON.stringify({
    schema_id: "default",
    traits: { email: "late@example.com", name: { first: "L", last: "T" } },
  });
  // A: declares 1000 bytes, sends 10 and stalls forever.
  const stalled = await open(port);
  stalled.socket.write(`${head(port, 1000)}{"traits":`);
  // B: a slow upload that completes after SIGTERM.
  const slow = await open(port);
  slow.socket.write(head(port, Buffer.byteLength(body)) + body.slice(0, 20));
  // A complete request on a third connection: once it is answered, A's and B's headers (sent
  // earlier on the same loopback) have reached the server.
  assert.equal((await fetch(new URL("health/alive", adminUrl))).status, 200);

  const started = Date.now();
  child.kill("SIGTERM");
  await new Promise<void>((ok) => {
    const check = () => (/"msg":"shutting down"/.test(stderr()) ? ok() : setTimeout(check, 10));
    check();
  });
  await assert.rejects(fetch(new URL("health/alive", adminUrl)), "a new connection is refused");
  slow.socket.write(body.slice(20));
  await new Promise<void>((ok) => {
    const check = () => (slow.received().includes("\r\n\r\n") ? ok() : setTimeout(check, 10));
    check();
  });
  assert.match(slow.received(), /^HTTP\/1\.1 201 /, "the request in flight was finished");

  const guard = new Promise<"hung">((ok) => setTimeout(() => ok("hung"), 10_000).unref());
  assert.equal(await Promise.race([exited, guard]), 0, stderr());
  const took = Date.now() - started;
  assert.ok(took < 4_000, `exited after ${took} ms; the grace period is 1 s`);
  await stalled.closed;
  assert.doesNotMatch(stalled.received(), /^HTTP\/1\.1 2/, "the stalled upload got no success");
  assert.match(stderr(), /"msg":"shut down"/);
});
