import type { Config } from "../config/schema.ts";
import { createLogger, type Logger } from "../logger.ts";

/** `log.format` when set; otherwise JSON lines in production and readable text in development. */
export function logFormatOf(config: Pick<Config, "log" | "dev">): "json" | "text" {
  return config.log.format ?? (config.dev ? "text" : "json");
}

/** The logger a configuration asks for (level and format as Kratos spells them). */
export function loggerFor(config: Pick<Config, "log" | "dev">, sink?: (line: string) => void): Logger {
  return createLogger(config.log.level, logFormatOf(config), sink);
}
