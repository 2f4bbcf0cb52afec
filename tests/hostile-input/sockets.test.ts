import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { MAX_BODY_BYTES } from "../../server/request/body.ts";
import { errorLines, type LogLine, loggedServer, type TestServer } from "./support.ts";

// Issue 8: client aborts end quietly, and an oversized upload reads its 400 instead of a reset.

async function openSocket(base: string): Promise<Socket> {
  const u = new URL(base);
  const socket = connect(Number(u.port), u.hostname);
  await new Promise<void>((ok, fail) => {
    socket.once("connect", ok);
    socket.once("error", fail);
  });
  return socket;
}

/** Resolves with the first log line `match` accepts (the server's own report that it is done). */
function nextLine(log: LogLine[], match: (line: LogLine) => boolean): Promise<LogLine> {
  return new Promise((ok) => {
    const push = log.push.bind(log);
    log.push = (...lines: LogLine[]) => {
      const n = push(...lines);
      const hit = lines.find(match);
      if (hit) ok(hit);
      return n;
    };
  });
}

async function assertStillServing(s: TestServer) {
  const res = await fetch(new URL("health/alive", s.adminUrl));
  assert.equal(res.status, 200);
}

/** Where a body is read first thing: the admin API, a real registration flow, a tRPC mutation. */
const TARGETS: { where: string; at: (s: TestServer) => Promise<{ base: string; path: string }> }[] = [
  { where: "admin identities", at: async (s) => ({ base: s.adminUrl, path: "/admin/identities" }) },
  {
    where: "registration submit",
    at: async (s) => {
      const res = await fetch(new URL("self-service/registration/api", s.publicUrl));
      const flow = (await res.json()) as { id: string };
      return { base: s.publicUrl, path: `/self-service/registration?flow=${flow.id}` };
    },
  },
  { where: "tRPC", at: async (s) => ({ base: s.adminUrl, path: "/admin/trpc/identities.create" }) },
];

for (const { where, at } of TARGETS) {
  test(`an upload aborted mid-body (${where}) is a debug line, not an error`, async (t) => {
    const { s, log } = await loggedServer(t);
    const { base, path } = await at(s);
    const socket = await openSocket(base);
    const closed = nextLine(log, (l) => l.msg.startsWith("client closed"));
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
        `content-length: 100000\r\n\r\n{"schema_id":"default","traits":{"email":"`,
    );
    socket.write("a".repeat(1000), () => socket.destroy());
    const line = await closed;
    assert.equal(line.level, "debug");
    await assertStillServing(s);
    assert.deepEqual(errorLines(log), []);
  });
}

/** Whether `data` holds a whole HTTP response (head and a Content-Length body). */
function complete(data: string): boolean {
  const headEnd = data.indexOf("\r\n\r\n");
  if (headEnd === -1) return false;
  const length = /\r\ncontent-length: (\d+)/i.exec(data.slice(0, headEnd))?.[1];
  return length !== undefined && Buffer.byteLength(data.slice(headEnd + 4)) >= Number(length);
}

/**
 * Uploads `total` bytes in 64 KiB chunks, honouring backpressure, then returns the server's answer.
 * A socket closed under the upload surfaces as EPIPE/ECONNRESET and fails the test.
 */
async function uploadAndRead(base: string, path: string, total: number): Promise<string> {
  const socket = await openSocket(base);
  const received: Buffer[] = [];
  const text = () => Buffer.concat(received).toString("utf8");
  let failed: Error | undefined;
  socket.on("error", (err) => {
    failed = err;
  });
  const answered = new Promise<void>((ok, fail) => {
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      if (complete(text())) ok();
    });
    socket.once("close", () =>
      complete(text()) ? ok() : fail(failed ?? new Error("closed before an answer")),
    );
  });
  const write = (data: string | Buffer) =>
    new Promise<void>((ok, fail) => {
      socket.write(data, (err) => (err ? fail(err) : ok()));
    });
  await write(
    `POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
      `content-length: ${total}\r\n\r\n`,
  );
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  for (let sent = 0; sent < total; sent += chunk.length) {
    await write(sent + chunk.length <= total ? chunk : chunk.subarray(0, total - sent));
  }
  await answered;
  socket.destroy();
  return text();
}

for (const { where, at } of TARGETS) {
  test(`a 6 MiB upload (${where}) reads its 400 answer instead of a broken pipe`, async (t) => {
    const { s, log } = await loggedServer(t);
    const { base, path } = await at(s);
    const answer = await uploadAndRead(base, path, 6 * 1024 * 1024);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const body = answer.slice(answer.indexOf("\r\n\r\n") + 4);
    assert.match(body, new RegExp(`exceeds the maximum allowed size of ${MAX_BODY_BYTES} bytes`));
    assert.doesNotThrow(() => JSON.parse(body));
    await assertStillServing(s);
    assert.deepEqual(errorLines(log), []);
  });
}
