import assert from "node:assert/strict";
import { test } from "node:test";
import { testConfig } from "../../server/config/load.ts";
import { createLogger, REQUEST_LINE_MESSAGE } from "../../server/logger.ts";
import { logFormatOf } from "../../server/observe/log-format.ts";

test("log.format defaults to JSON in production and text with dev; an explicit format wins", () => {
  assert.equal(logFormatOf(testConfig()), "json");
  assert.equal(logFormatOf(testConfig({ dev: true })), "text");
  assert.equal(logFormatOf(testConfig({ dev: true, log: { format: "json" } })), "json");
  assert.equal(logFormatOf(testConfig({ log: { format: "text" } })), "text");
});

test("JSON lines carry level names, an ISO time, the message and the fields", () => {
  const lines: string[] = [];
  const logger = createLogger("info", "json", (l) => lines.push(l));
  logger.info("hello", { a: 1, b: "two" });
  logger.debug("hidden");
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!);
  assert.equal(line.level, "info");
  assert.equal(line.msg, "hello");
  assert.equal(line.a, 1);
  assert.equal(line.b, "two");
  assert.ok(!Number.isNaN(Date.parse(line.time)));
});

test("text lines read like Kratos's (logrus) text format", () => {
  const lines: string[] = [];
  const logger = createLogger("debug", "text", (l) => lines.push(l));
  logger.warn("disk almost full", { path: "/var/lib", free: 3, note: "two words" });
  assert.match(
    lines[0]!,
    /^time=\S+ level=warn msg="disk almost full" path=\/var\/lib free=3 note="two words"$/,
  );
});

test("levels as Kratos spells them: warning hides info, panic and fatal hide everything but the worst", () => {
  for (const [level, shown] of [
    ["warning", ["warn", "error"]],
    ["error", ["error"]],
    ["panic", []],
    ["trace", ["debug", "info", "warn", "error"]],
  ] as const) {
    const lines: string[] = [];
    const logger = createLogger(level, "json", (l) => lines.push(l));
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).level),
      shown,
      level,
    );
    assert.equal(logger.isLevelEnabled?.("info"), (shown as readonly string[]).includes("info"));
  }
});

test("log.level accepts Kratos's `warning` in the config file", () => {
  assert.equal(testConfig({ log: { level: "warning" } }).log.level, "warning");
});

test("the request line is the line info writes for the same fields, in both formats, and obeys the level", () => {
  const fields = {
    request_id: "0b515fd7-2f3d-4d8b-97f0-faa72a232292",
    listener: "public",
    method: "GET",
    path: '/self-service/settings?flow=a b"=c',
    route: "/self-service/settings",
    status: 200,
    duration_ms: 0.42,
  };
  const withoutTime = (line: string) => line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, "T");
  for (const format of ["text", "json"] as const) {
    const viaInfo: string[] = [];
    const viaRequest: string[] = [];
    createLogger("info", format, (l) => viaInfo.push(l)).info(REQUEST_LINE_MESSAGE, fields);
    createLogger("info", format, (l) => viaRequest.push(l)).request!(fields);
    assert.equal(viaRequest.length, 1);
    assert.equal(withoutTime(viaRequest[0]!), withoutTime(viaInfo[0]!), format);
    const quiet: string[] = [];
    createLogger("warning", format, (l) => quiet.push(l)).request!(fields);
    assert.deepEqual(quiet, [], `${format}: no request line above info`);
  }
});
