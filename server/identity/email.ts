/**
 * Email address syntax as Kratos's validator sees it: Go's jsonschema `email` format is
 * "≤ 254 bytes, local part ≤ 64 bytes, the domain is a hostname, and net/mail parses it".
 * This module re-implements the addr-spec part of net/mail that matters for that check.
 */

/** RFC 5322 atext plus any non-ASCII character (Go's net/mail accepts UTF-8 in atoms). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what atext excludes
const DOT_ATOM = /^[^\x00-\x20\x7f()<>[\]:;@\\,".]+(?:\.[^\x00-\x20\x7f()<>[\]:;@\\,".]+)*$/u;
/** A quoted local part: qtext, quoted pairs and blanks; control characters other than tab are refused. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what qtext excludes
const QUOTED_LOCAL = /^"((?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t\x20-\x7e\u0080-\u{10ffff}])+)"@/u;
const HOSTNAME_LABEL = /^[A-Za-z0-9-]{1,63}$/;

export interface AddrSpec {
  local: string;
  domain: string;
}

/** Bytes of the UTF-8 encoding; Go measures string lengths in bytes. */
export function utf8Length(value: string): number {
  let bytes = 0;
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** Parses `local@domain` (dot-atom or quoted local part, dot-atom domain); no display names or comments. */
export function parseAddrSpec(value: string): AddrSpec | undefined {
  const quoted = QUOTED_LOCAL.exec(value);
  if (quoted) {
    const domain = value.slice(quoted[0].length);
    if (!DOT_ATOM.test(domain)) return undefined;
    // Go returns the quoted local part unescaped.
    return { local: (quoted[1] ?? "").replace(/\\(.)/gu, "$1"), domain };
  }
  const at = value.lastIndexOf("@");
  if (at <= 0) return undefined;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!DOT_ATOM.test(local) || !DOT_ATOM.test(domain)) return undefined;
  return { local, domain };
}

/** Go jsonschema's `hostname` format, including its quirk of checking only the very first character for '-'. */
export function isGoHostname(value: string): boolean {
  const host = value.endsWith(".") ? value.slice(0, -1) : value;
  if (host.length > 253 || host.startsWith("-")) return false;
  for (const label of host.split(".")) {
    if (!HOSTNAME_LABEL.test(label) || label.endsWith("-")) return false;
  }
  return true;
}

/** The `email` format of Kratos's validator. */
export function isEmail(value: string): boolean {
  if (utf8Length(value) > 254) return false;
  const at = value.lastIndexOf("@");
  if (at === -1) return false;
  if (utf8Length(value.slice(0, at)) > 64) return false;
  if (!isGoHostname(value.slice(at + 1))) return false;
  // net/mail skips leading blanks before the address, so Go accepts them too.
  return parseAddrSpec(value.replace(/^[ \t]+/, "")) !== undefined;
}

/**
 * The lenient `email_loose` format: something on both sides of the last `@`, no blanks,
 * at most 254 bytes. It exists for legacy data that the strict check would lock out.
 */
export function isEmailLoose(value: string): boolean {
  if (utf8Length(value) > 254 || /\s/u.test(value)) return false;
  const at = value.lastIndexOf("@");
  return at > 0 && at < value.length - 1;
}
