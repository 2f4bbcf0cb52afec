import { createRequire } from "node:module";
import pino from "pino";

type PinoPretty = typeof import("pino-pretty");

/** Kratos's levels (`warning` as Kratos spells it; `warn` kept for configs written before). */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "warning" | "error" | "fatal" | "panic";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /**
   * Whether a line at this level would be written. Optional so that a test's hand-made logger
   * stays a Logger; callers that build costly lines (the request log) ask first.
   */
  isLevelEnabled?(level: "debug" | "info" | "warn" | "error"): boolean;
  /**
   * The request log's `completed handling request` line at info: the line `info` writes for these
   * fields, built without the generic field loop (it is written once per request). Optional: a
   * hand-made logger gets `info` instead.
   */
  request?(fields: RequestLineFields): void;
}

/**
 * The request line's fields. `request_id`, `listener` and `method` never need quoting or escaping
 * (a plausible id or a UUID, a fixed name, an HTTP token); `path` and `route` may.
 */
export interface RequestLineFields {
  request_id: string;
  listener: string;
  method: string;
  path: string;
  route: string;
  status: number;
  duration_ms: number;
}

export const REQUEST_LINE_MESSAGE = "completed handling request";

/** pino has no `panic`; Kratos's `panic` and `fatal` both mean "only the worst". */
function pinoLevel(level: LogLevel): pino.Level {
  if (level === "warning") return "warn";
  if (level === "panic") return "fatal";
  return level;
}

/** `k=v` like logrus's text formatter (what Kratos prints with `log.format: text`). */
function logfmtValue(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

const LEVEL_NAMES: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};

/** Renders pino's JSON line as `time=… level=… msg="…" key=value …` through pino-pretty. */
function textFormatter(): (line: string) => string {
  // Loaded for the text format only: JSON, the default, never needs it.
  const { prettyFactory } = createRequire(import.meta.url)("pino-pretty") as PinoPretty;
  return prettyFactory({
    colorize: false,
    ignore: "time,level,pid,hostname",
    hideObject: true,
    singleLine: true,
    messageFormat: (log, messageKey) => {
      const { time, level, [messageKey]: msg, ...fields } = log;
      const name = typeof level === "number" ? (LEVEL_NAMES[level] ?? String(level)) : String(level);
      let line = `time=${String(time)} level=${name} msg=${JSON.stringify(String(msg ?? ""))}`;
      for (const [k, v] of Object.entries(fields)) line += ` ${k}=${logfmtValue(v)}`;
      return line;
    },
  });
}

const PINO_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * A text line without pino's JSON in between, for the common fields (strings, finite numbers,
 * booleans, null): the same line pino → JSON → pino-pretty → `messageFormat` gives, at a fraction of
 * the cost (the request log writes one per request). Undefined when a field needs pino's own
 * serialisation (objects, errors, non-finite numbers) or a key would collide with the line's own.
 */
function directTextLine(
  level: keyof typeof PINO_LEVELS,
  msg: string,
  fields: Record<string, unknown> | undefined,
): string | undefined {
  let line = `time=${new Date().toISOString()} level=${level} msg=${JSON.stringify(msg)}`;
  if (!fields) return line;
  for (const k in fields) {
    if (!Object.hasOwn(fields, k)) continue;
    if (k === "time" || k === "level" || k === "msg" || k === "err") return undefined;
    const v = fields[k];
    if (v === undefined) continue;
    const plain =
      typeof v === "string" ||
      typeof v === "boolean" ||
      v === null ||
      (typeof v === "number" && Number.isFinite(v));
    if (!plain) return undefined;
    line += ` ${k}=${logfmtValue(v)}`;
  }
  return line;
}

/**
 * Lines for stderr, written once per event-loop turn: under load many requests finish in one turn,
 * and one write for all their lines costs a fraction of one write each. Whatever is pending when
 * the process exits (process.exit, an uncaught exception) is written synchronously then.
 */
let pendingStderr: string[] = [];
let stderrScheduled = false;
function flushStderr(): void {
  stderrScheduled = false;
  if (pendingStderr.length === 0) return;
  const text = pendingStderr.join("");
  pendingStderr = [];
  process.stderr.write(text);
}
function writeStderr(line: string): void {
  pendingStderr.push(line);
  if (stderrScheduled) return;
  stderrScheduled = true;
  setImmediate(flushStderr);
}
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", flushStderr);
}

/**
 * The structured logger, on pino: JSON lines (`{"level":"info","time":"…","msg":"…",…}`) or
 * logrus-style text (through pino-pretty for fields that need pino's serialisation). Writes to
 * stderr by default, once per event-loop turn (stdout is kept for command output such as
 * `tessera identities export`), or to `sink` one line at a time, synchronously.
 * A line below the level costs one comparison: pino replaces disabled levels with no-ops.
 */
export function createLogger(
  level: LogLevel = "info",
  format: "text" | "json" = "text",
  sink?: (line: string) => void,
): Logger {
  let pretty: ((line: string) => string) | undefined;
  const prettify = (chunk: string) => {
    pretty ??= textFormatter();
    return pretty(chunk);
  };
  if (!sink) hookExit();
  const out = (trimmed: string) => (sink ? sink(trimmed) : writeStderr(`${trimmed}\n`));
  const destination = {
    write(chunk: string) {
      if (format === "json" && !sink) return writeStderr(chunk);
      const line = format === "text" ? prettify(chunk) : chunk;
      out(line.endsWith("\n") ? line.slice(0, -1) : line);
    },
  };
  const log = pino(
    {
      level: pinoLevel(level),
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const emit =
    (method: "debug" | "info" | "warn" | "error") => (msg: string, fields?: Record<string, unknown>) => {
      if (format === "text") {
        // The level check pino would make, so a line below the level is still never built.
        if (log.levelVal > PINO_LEVELS[method]) return;
        const line = directTextLine(method, msg, fields);
        if (line !== undefined) return out(line);
      }
      if (fields) log[method](fields, msg);
      else log[method](msg);
    };
  const request = (f: RequestLineFields) => {
    if (log.levelVal > PINO_LEVELS.info) return;
    const time = new Date().toISOString();
    if (format === "text") {
      return out(
        `time=${time} level=info msg="${REQUEST_LINE_MESSAGE}" request_id=${f.request_id} listener=${f.listener} method=${f.method} path=${logfmtValue(f.path)} route=${logfmtValue(f.route)} status=${f.status} duration_ms=${f.duration_ms}`,
      );
    }
    // pino's order: level, time, the fields, then msg.
    const line = `{"level":"info","time":"${time}","request_id":"${f.request_id}","listener":"${f.listener}","method":"${f.method}","path":${JSON.stringify(f.path)},"route":${JSON.stringify(f.route)},"status":${f.status},"duration_ms":${f.duration_ms},"msg":"${REQUEST_LINE_MESSAGE}"}`;
    return sink ? sink(line) : writeStderr(`${line}\n`);
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    isLevelEnabled: (l) => log.isLevelEnabled(l),
    request,
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  isLevelEnabled: () => false,
};

/** Whether `logger` writes lines at `level` (a logger that cannot say is assumed to). */
export function logs(logger: Logger, level: "debug" | "info" | "warn" | "error"): boolean {
  return logger.isLevelEnabled ? logger.isLevelEnabled(level) : true;
}
