/**
 * Bounds on untrusted JSON, checked before anything recursive touches it.
 *
 * V8's JSON.parse copes with any nesting a 5 MiB body can hold, but everything after it recurses
 * (JSON.stringify, ajv, structuredClone, drizzle's JSON columns, our own tree walks) and overflows
 * the stack somewhere between 4,000 and 10,000 levels, depending on how deep the call already is.
 * Rejecting hostile shapes up front, with a 400 that says why, is the only place that is cheap and
 * total. The limits are far beyond any real form or admin payload (identity schemas nest three or
 * four levels; a settings form has tens of fields, an identity with generous metadata hundreds of
 * keys) and far below where any recursion or quadratic work starts to matter.
 */

/** Objects and arrays nested deeper than this are refused. */
export const MAX_JSON_DEPTH = 64;

/** More object members than this, counted over the whole document, are refused. */
export const MAX_JSON_KEYS = 10_000;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const COLON = 0x3a; // :
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

function depthReason(limit: number): string {
  return `Unable to decode JSON payload: it is nested deeper than the maximum allowed depth of ${limit}.`;
}

function keysReason(limit: number): string {
  return `Unable to decode JSON payload: it has more than the maximum allowed ${limit} object keys.`;
}

/** The index of the quote closing the string opened at `open` (text.length when unterminated). */
function closingQuote(text: string, open: number): number {
  let at = open;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * Why a JSON text exceeds the bounds, or undefined when it does not. A single linear scan over the
 * text (strings skipped), so it runs before JSON.parse and costs nothing recursive. Malformed text
 * is not judged here: JSON.parse reports it afterwards.
 */
export function jsonTextBoundsError(
  text: string,
  maxDepth = MAX_JSON_DEPTH,
  maxKeys = MAX_JSON_KEYS,
): string | undefined {
  let depth = 0;
  let keys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return depthReason(maxDepth);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    else if (c === COLON && ++keys > maxKeys) return keysReason(maxKeys);
  }
  return undefined;
}

/**
 * Why an already parsed value exceeds the bounds, or undefined. Walks with an explicit stack, so a
 * value of any depth is judged without recursion (inputs tRPC parsed itself, stored data).
 */
export function jsonValueBoundsError(
  value: unknown,
  maxDepth = MAX_JSON_DEPTH,
  maxKeys = MAX_JSON_KEYS,
): string | undefined {
  let keys = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth + 1 > maxDepth) return depthReason(maxDepth);
    const children = Array.isArray(current) ? current : Object.values(current);
    if (!Array.isArray(current)) {
      keys += children.length;
      if (keys > maxKeys) return keysReason(maxKeys);
    }
    for (const child of children) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

/** Up to this depth the check recurses (no allocation per node: it runs on every whoami). */
const MAX_RECURSIVE_CHECK = 1024;

/** Whether no object or array in `value` sits `remaining` or more levels below it. */
function withinDepth(value: unknown, remaining: number): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (remaining <= 0) return false;
  if (Array.isArray(value)) {
    for (const child of value) if (!withinDepth(child, remaining - 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!withinDepth((value as Record<string, unknown>)[key], remaining - 1)) return false;
  }
  return true;
}

/**
 * A copy of `value` with everything nested deeper than `maxDepth` replaced by null, or `value`
 * itself when it is shallow enough. For data that is already stored (written before these bounds
 * existed, or straight into the database): rendering it must not overflow the stack, and showing a
 * cut-off value beats answering 500 for the account forever.
 */
export function truncateDeepJson<T>(value: T, maxDepth: number): T {
  if (
    maxDepth <= MAX_RECURSIVE_CHECK
      ? withinDepth(value, maxDepth)
      : !jsonValueBoundsError(value, maxDepth, Infinity)
  ) {
    return value;
  }
  const copy = (v: unknown): unknown =>
    typeof v !== "object" || v === null ? v : Array.isArray(v) ? ([] as unknown[]) : {};
  const root = copy(value);
  const stack: [unknown, Record<string, unknown> | unknown[], number][] = [[value, root as never, 1]];
  while (stack.length > 0) {
    const [source, target, depth] = stack.pop()!;
    const entries = Array.isArray(source)
      ? source.map((v, i) => [String(i), v] as const)
      : Object.entries(source as Record<string, unknown>);
    for (const [key, child] of entries) {
      const deep = typeof child === "object" && child !== null;
      const next = deep && depth >= maxDepth ? null : copy(child);
      if (Array.isArray(target)) target.push(next);
      else
        Object.defineProperty(target, key, {
          value: next,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      if (deep && next !== null) stack.push([child, next as never, depth + 1]);
    }
  }
  return root as T;
}
