import assert from "node:assert/strict";
import type { Logger } from "../../server/logger.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

/** Shared helpers of the hostile-input suites: deep JSON texts, a server whose log is kept. */

export type { TestServer };

export type Json = Record<string, unknown>;

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields: Record<string, unknown> | undefined;
}

/** A test server whose log lines are collected, so a test can assert nothing was logged as an error. */
export async function loggedServer(t: {
  after(fn: () => Promise<void> | void): void;
}): Promise<{ s: TestServer; log: LogLine[] }> {
  const log: LogLine[] = [];
  const logger: Logger = {
    debug: (msg, fields) => log.push({ level: "debug", msg, fields }),
    info: (msg, fields) => log.push({ level: "info", msg, fields }),
    warn: (msg, fields) => log.push({ level: "warn", msg, fields }),
    error: (msg, fields) => log.push({ level: "error", msg, fields }),
  };
  const s = await startTestServer({}, { logger });
  t.after(() => s.close());
  return { s, log };
}

export function errorLines(log: readonly LogLine[]): LogLine[] {
  return log.filter((l) => l.level === "error");
}

export type Shape = "object" | "array";

/**
 * The JSON text of a value nested `depth` levels deep, built as text: building the value and
 * stringifying it would overflow the test's own stack.
 */
export function deepJson(depth: number, shape: Shape): string {
  return shape === "object"
    ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`
    : `${"[".repeat(depth)}1${"]".repeat(depth)}`;
}

/** The depths and shapes every JSON endpoint is tried with (issue 8). */
export const DEEP_CASES: { depth: number; shape: Shape }[] = [
  { depth: 10_000, shape: "object" },
  { depth: 10_000, shape: "array" },
  { depth: 100_000, shape: "object" },
  { depth: 100_000, shape: "array" },
];

export function publicUrl(s: TestServer, path: string): string {
  return new URL(path.replace(/^\//, ""), s.publicUrl).toString();
}

export function adminUrl(s: TestServer, path: string): string {
  return new URL(path.replace(/^\//, ""), s.adminUrl).toString();
}

/** POSTs (or PUT/PATCHes) a raw JSON text. */
export function sendJson(
  target: string,
  text: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(target, {
    method: init.method ?? "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...init.headers },
    body: text,
  });
}

export async function jsonOf(res: Response): Promise<Json> {
  const type = res.headers.get("content-type") ?? "";
  const text = await res.text();
  assert.match(
    type,
    /^application\/json/,
    `expected JSON, got ${type} (${res.status}): ${text.slice(0, 300)}`,
  );
  return JSON.parse(text) as Json;
}

/** The reason the body bounds give for a too deep document. */
export const TOO_DEEP = /nested deeper than the maximum allowed depth of 64/;

/** Asserts a self-service flow answer: 400, the flow, one global 4000001 message saying it was too deep. */
export async function assertFlowRefusedDeep(res: Response): Promise<Json> {
  const body = await jsonOf(res);
  assert.equal(res.status, 400, JSON.stringify(body).slice(0, 500));
  const ui = body.ui as { messages?: { id: number; text: string }[] } | undefined;
  assert.ok(ui, `a flow, not an error envelope: ${JSON.stringify(body).slice(0, 300)}`);
  const messages = ui.messages ?? [];
  assert.equal(messages.length, 1, JSON.stringify(messages));
  assert.equal(messages[0]!.id, 4000001);
  assert.match(messages[0]!.text, TOO_DEEP);
  return body;
}

/** Asserts Kratos's error envelope: 400 with the depth reason. */
export async function assertErrorRefusedDeep(res: Response): Promise<void> {
  const body = await jsonOf(res);
  assert.equal(res.status, 400, JSON.stringify(body).slice(0, 500));
  const error = body.error as { code: number; reason?: string };
  assert.equal(error.code, 400);
  assert.match(error.reason ?? "", TOO_DEEP);
}

/** A tRPC error answer (single call): 400 BAD_REQUEST carrying the depth reason. */
export async function assertTrpcRefusedDeep(res: Response): Promise<void> {
  const body = await jsonOf(res);
  assert.equal(res.status, 400, JSON.stringify(body).slice(0, 500));
  const error = body.error as { data?: { code?: string }; message?: string };
  assert.equal(error.data?.code, "BAD_REQUEST", JSON.stringify(body).slice(0, 500));
  assert.match(JSON.stringify(body), TOO_DEEP);
}
