/**
 * Renders values the way Go's fmt package does, because Kratos's validation messages are built
 * by a Go validator and clients compare them verbatim.
 */

const NAMED_ESCAPES: Record<string, string> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\u000b": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/** Characters Go's strconv.IsPrint accepts: letters, marks, numbers, punctuation, symbols, ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's `%q` for a string (strconv.Quote). */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const named = NAMED_ESCAPES[ch];
    if (named) out += named;
    else if (PRINTABLE.test(ch)) out += ch;
    else {
      const cp = ch.codePointAt(0) ?? 0;
      if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, "0")}`;
      else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, "0")}`;
      else out += `\\U${cp.toString(16).padStart(8, "0")}`;
    }
  }
  return `${out}"`;
}

/**
 * Go's `%v` for a float (and big.Float): the shortest round-trip digits, switching to
 * exponent form when the exponent is < -4 or >= 6, with at least two exponent digits
 * (`1200`, `2.5`, `1e+06`, `1e-05`).
 */
export function goNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  if (value === 0) return "0";
  const [mantissa = "0", expText = "0"] = value.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  // Within the plain range JavaScript's own shortest rendering is identical to Go's.
  return String(value);
}

/**
 * Go's `%#v` of a value decoded with json.Number, as the validator renders `const` and `enum`
 * values: strings and numbers are quoted, booleans bare, null is `<nil>`.
 */
export function goSyntax(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number") return goQuote(String(value));
  if (typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}
