import type { z } from "zod";
import { DURATION_PATTERN } from "../duration.ts";

/**
 * Every configuration problem: a bad file, a bad environment variable, a key that fails
 * validation. The message is one line that starts with `config: ` and names the key path (or the
 * file, or the variable) and the problem, so the server can print it and stop.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The key path of the (first) problem, e.g. `identity.schemas[0].url`, when there is one. */
  readonly path: string | undefined;

  constructor(detail: string, path?: string) {
    super(`config: ${detail}`);
    this.path = path;
  }
}

export type KeyPath = readonly PropertyKey[];

/** `["identity", "schemas", 0, "url"]` -> `identity.schemas[0].url`. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && /^[A-Za-z_][\w-]*$/.test(segment))
      out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** What the caller knows beyond the issues, to make the line more helpful. */
export interface IssueContext {
  /** The merged input that was validated (to show what was received). */
  input: unknown;
  /** Known keys at a path, for "did you mean" hints on unknown keys. */
  knownKeys?: (path: KeyPath) => readonly string[];
  /** The environment variable that set a path (or one of its ancestors), if any. */
  envSource?: (path: KeyPath) => string | undefined;
}

const MAX_PROBLEMS = 3;

/** Turns zod's issues into one `ConfigError` whose message is a single line. */
export function configErrorFromIssues(
  issues: readonly z.core.$ZodIssue[],
  context: IssueContext,
): ConfigError {
  const problems: { path: string; text: string }[] = [];
  for (const issue of issues) problems.push(...describeIssue(issue, context));
  const first = problems[0];
  if (!first) return new ConfigError("invalid configuration");
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => (p.path ? `${p.path}: ${p.text}` : p.text));
  const more = problems.length > MAX_PROBLEMS ? ` (and ${problems.length - MAX_PROBLEMS} more)` : "";
  return new ConfigError(shown.join("; ") + more, first.path || undefined);
}

function describeIssue(issue: z.core.$ZodIssue, context: IssueContext): { path: string; text: string }[] {
  const path = issue.path as KeyPath;
  const value = valueAt(context.input, path);
  const from = (p: KeyPath) => {
    const name = context.envSource?.(p);
    return name ? ` (set by environment variable ${name})` : "";
  };
  const one = (text: string) => [{ path: formatKeyPath(path), text: text + from(path) }];

  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const keyPath = [...path, key];
        const hint = suggest(key, context.knownKeys?.(path) ?? []);
        return {
          path: formatKeyPath(keyPath),
          text: `unknown key${hint ? ` (did you mean "${hint}"?)` : ""}${from(keyPath)}`,
        };
      });
    case "invalid_type":
      if (value === undefined) return one(`is required (expected ${issue.expected})`);
      if (issue.expected === "int" && typeof value === "number") {
        return one(`must be an integer, received ${value}`);
      }
      return one(`expected ${issue.expected}, received ${typeName(value)}`);
    case "invalid_value":
      return one(`must be one of ${issue.values.map(show).join(", ")}, received ${show(value)}`);
    case "invalid_union": {
      // A discriminated union whose discriminator matched no option (zod adds these fields at runtime).
      const { discriminator, options: choices } = issue as { discriminator?: unknown; options?: unknown };
      if (discriminator !== undefined && Array.isArray(choices)) {
        const options = choices.map(show).join(", ");
        return one(
          value === undefined
            ? `is required (one of ${options})`
            : `must be one of ${options}, received ${show(value)}`,
        );
      }
      return one(stripZodPrefix(issue.message));
    }
    case "too_small":
      return one(bound("at least", "more than", issue.minimum, issue.inclusive, issue.origin));
    case "too_big":
      return one(bound("at most", "less than", issue.maximum, issue.inclusive, issue.origin));
    case "invalid_format":
      if ("pattern" in issue && issue.pattern === String(DURATION_PATTERN)) {
        return one("must be a duration such as 1h, 30m or 10s");
      }
      return one(stripZodPrefix(issue.message));
    default:
      return one(stripZodPrefix(issue.message));
  }
}

function bound(
  word: string,
  strictWord: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
  origin: string,
): string {
  const relation = inclusive === false ? strictWord : word;
  switch (origin) {
    case "string":
      return `must be ${relation} ${limit} characters long`;
    case "array":
    case "set":
      return `must have ${relation} ${limit} ${limit === 1 ? "item" : "items"}`;
    default:
      return `must be ${relation} ${limit}`;
  }
}

function stripZodPrefix(message: string): string {
  return message.replace(/^Invalid (input|string|option): /, "");
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function valueAt(input: unknown, path: KeyPath): unknown {
  let node = input;
  for (const segment of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** The known key closest to a misspelt one, if it is close enough to be a likely typo. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const allowed = Math.max(2, Math.floor(key.length / 3));
  return best !== undefined && bestDistance <= allowed && bestDistance < key.length ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
