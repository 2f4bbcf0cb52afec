import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Kratos's claims mapper: a jsonnet program reading `std.extVar('claims')` and returning
 * `{identity: {traits, metadata_public?, metadata_admin?, verified_addresses?}}`.
 *
 * It runs in Debian's `jsonnet` (the reference C++ implementation) as a child process, so a mapper
 * cannot touch the server's memory: it gets a time limit (killed after it), an output limit, an
 * empty temporary directory as its working directory, and mappers using `import`, `importstr` or
 * `importbin` are refused before they run, so it reads no file. Every failure is a `MapperError`
 * whose message the flow shows (never a 500).
 */
export class MapperError extends Error {}

export interface MappedIdentity {
  traits: Record<string, unknown>;
  metadataPublic?: unknown;
  metadataAdmin?: unknown;
  verifiedAddresses: { value: string; via: string }[];
}

const TIME_LIMIT_MS = 5_000;
const OUTPUT_LIMIT = 1 << 20;
const JSONNET_BIN = "jsonnet";

/** Reads a `mapper_url`: `file://` or `base64://` (Kratos also fetches http(s); we stay offline). */
export async function loadMapper(mapperUrl: string | undefined): Promise<string> {
  if (!mapperUrl) throw new MapperError("The OpenID Connect provider has no mapper_url configured.");
  if (mapperUrl.startsWith("base64://")) return Buffer.from(mapperUrl.slice(9), "base64").toString("utf8");
  if (mapperUrl.startsWith("file://")) {
    try {
      return await readFile(fileURLToPath(mapperUrl), "utf8");
    } catch {
      throw new MapperError(`Unable to read the jsonnet mapper at ${mapperUrl}.`);
    }
  }
  throw new MapperError(`Unsupported mapper_url scheme: ${mapperUrl.split(":")[0]}`);
}

/**
 * Whether the source uses `import`, `importstr` or `importbin` as a keyword: a lexical scan that
 * skips strings (quoted, verbatim `@'…'`, text blocks `|||`) and comments (`//`, `#`, block).
 */
export function usesImport(source: string): boolean {
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "#") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "|" && source.startsWith("|||", i)) {
      const end = source.indexOf("|||", i + 3);
      i = end < 0 ? n : end + 3;
    } else if (c === "@" && (next === "'" || next === '"')) {
      // Verbatim string: the quote is escaped by doubling it.
      i += 2;
      while (i < n) {
        if (source[i] === next) {
          if (source[i + 1] === next) i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < n && source[i] !== c) i += source[i] === "\\" ? 2 : 1;
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_]/.test(source[i]!)) i++;
      const word = source.slice(start, i);
      if (word === "import" || word === "importstr" || word === "importbin") return true;
    } else i++;
  }
  return false;
}

function run(dir: string, timeLimitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      JSONNET_BIN,
      ["--ext-code-file", "claims=claims.json", "--max-stack", "200", "mapper.jsonnet"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: {} },
    );
    let out = "";
    let err = "";
    let tooMuch = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new MapperError("The jsonnet mapper took too long and was stopped."));
    }, timeLimitMs);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.length > OUTPUT_LIMIT && !tooMuch) {
        tooMuch = true;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString("utf8");
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new MapperError(`Unable to run the jsonnet mapper: ${e.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (tooMuch) reject(new MapperError("The jsonnet mapper produced too much output."));
      else if (code !== 0) {
        const first = err.split("\n")[0]?.replace(/^RUNTIME ERROR: |^STATIC ERROR: /, "") ?? "";
        reject(new MapperError(`The jsonnet mapper failed: ${first.trim() || `exit code ${code}`}`));
      } else resolve(out);
    });
  });
}

/** Evaluates the mapper on the claims; the result's shape is checked. */
export async function evaluateMapper(
  source: string,
  claims: unknown,
  timeLimitMs = TIME_LIMIT_MS,
): Promise<MappedIdentity> {
  if (usesImport(source))
    throw new MapperError("The jsonnet mapper may not use import, importstr or importbin.");
  const dir = await mkdtemp(join(tmpdir(), "tessera-mapper-"));
  let output: string;
  try {
    await writeFile(join(dir, "mapper.jsonnet"), source);
    await writeFile(join(dir, "claims.json"), JSON.stringify(claims));
    output = await run(dir, timeLimitMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    throw new MapperError("The jsonnet mapper did not return JSON.");
  }
  const identity = (parsed as { identity?: unknown } | null)?.identity;
  if (typeof identity !== "object" || identity === null || Array.isArray(identity))
    throw new MapperError("The jsonnet mapper must return an object with an identity key.");
  const { traits, metadata_public, metadata_admin, verified_addresses } = identity as Record<string, unknown>;
  if (traits !== undefined && (typeof traits !== "object" || traits === null || Array.isArray(traits)))
    throw new MapperError("The jsonnet mapper returned identity.traits that is not an object.");
  const verified = Array.isArray(verified_addresses)
    ? verified_addresses.filter(
        (a): a is { value: string; via: string } =>
          typeof a === "object" && a !== null && typeof a.value === "string" && typeof a.via === "string",
      )
    : [];
  return {
    traits: (traits as Record<string, unknown> | undefined) ?? {},
    ...(metadata_public !== undefined ? { metadataPublic: metadata_public } : {}),
    ...(metadata_admin !== undefined ? { metadataAdmin: metadata_admin } : {}),
    verifiedAddresses: verified,
  };
}
