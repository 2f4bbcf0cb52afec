import type { ConfigInput } from "../../server/config/schema.ts";
import { createLogger } from "../../server/logger.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

export type LogLine = Record<string, unknown> & { level: string; msg: string };

/**
 * A test server whose logger is the production one (pino, JSON lines) writing into an array, so a
 * test reads exactly what an operator would.
 */
export async function jsonLoggedServer(
  t: { after(fn: () => Promise<void> | void): void },
  overrides: ConfigInput = {},
  level: "info" | "warn" = "info",
): Promise<{ s: TestServer; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logger = createLogger(level, "json", (line) => lines.push(JSON.parse(line) as LogLine));
  const s = await startTestServer(overrides, { logger });
  t.after(() => s.close());
  return { s, lines };
}

export const requestLines = (lines: LogLine[]) => lines.filter((l) => l.msg === "completed handling request");
export const auditLines = (lines: LogLine[]) => lines.filter((l) => l.audience === "audit");
