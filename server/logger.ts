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
}

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

/**
 * The structured logger, on pino: JSON lines (`{"level":"info","time":"…","msg":"…",…}`) or
 * logrus-style text through pino-pretty. Writes synchronously to stderr by default (stdout is kept
 * for command output such as `tessera identities export`), or to `sink` one line at a time.
 * A line below the level costs one comparison: pino replaces disabled levels with no-ops.
 */
export function createLogger(
  level: LogLevel = "info",
  format: "text" | "json" = "text",
  sink?: (line: string) => void,
): Logger {
  const pretty = format === "text" ? textFormatter() : undefined;
  const destination =
    sink || pretty
      ? {
          write(chunk: string) {
            const line = pretty ? pretty(chunk) : chunk;
            const trimmed = line.endsWith("\n") ? line.slice(0, -1) : line;
            if (sink) sink(trimmed);
            else process.stderr.write(`${trimmed}\n`);
          },
        }
      : pino.destination({ fd: 2, sync: true });
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
      if (fields) log[method](fields, msg);
      else log[method](msg);
    };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    isLevelEnabled: (l) => log.isLevelEnabled(l),
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
