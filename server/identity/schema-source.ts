import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";

/**
 * Reads the text of an identity schema from a Kratos-style URL: `file://` (absolute, or relative
 * to the configuration's directory), `base64://` (standard or URL-safe alphabet, padding
 * optional), `http(s)://`, or a plain file path. Runs once at start, so Node APIs are fine here.
 */

const FETCH_TIMEOUT_MS = 10_000;

export function decodeBase64Text(encoded: string): string {
  const standard = encoded.trim().replaceAll("-", "+").replaceAll("_", "/");
  let binary: string;
  try {
    binary = atob(standard);
  } catch {
    throw new Error("is not valid base64");
  }
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error("does not decode to UTF-8 text");
  }
}

/** The file path a `file://` URL (or a plain path) points to. */
export function schemaFilePath(url: string, baseDir: string | undefined): string {
  let path = url.startsWith("file://") ? url.slice("file://".length) : url;
  try {
    path = decodeURIComponent(path);
  } catch {
    // Not percent-encoded after all; use it as written.
  }
  return isAbsolute(path) ? path : resolve(baseDir ?? process.cwd(), path);
}

async function readSchemaFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`file not found: ${path}`);
    throw new Error(`cannot read ${path}: ${code ?? (error as Error).message}`);
  }
}

async function fetchSchema(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw new Error(`cannot fetch: ${(error as Error).message}`);
  }
  if (!response.ok) throw new Error(`fetching it answered HTTP ${response.status}`);
  return response.text();
}

export async function readSchemaSource(url: string, baseDir: string | undefined): Promise<string> {
  if (url.startsWith("base64://")) return decodeBase64Text(url.slice("base64://".length));
  if (url.startsWith("http://") || url.startsWith("https://")) return fetchSchema(url);
  if (url.startsWith("file://") || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    return readSchemaFile(schemaFilePath(url, baseDir));
  }
  throw new Error("has an unsupported URL scheme (use file://, base64:// or https://)");
}
