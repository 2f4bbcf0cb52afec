import { parseAddrSpec } from "./email.ts";
import { parseValidPhone } from "./phone.ts";

/**
 * Normalisation of identifiers and addresses (contract §14.3). Traits are stored as given;
 * only derived identifiers and addresses are normalised, so that "Foo@Example.com" and
 * "foo@example.com" are the same login and the same address.
 */

/** Control, format (bidi, zero-width), private-use, surrogate, unassigned and default-ignorable code points. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Default_Ignorable_Code_Point}]/gu;
/** `Display Name <addr>` or `"Display Name" <addr>`, which net/mail reduces to addr. */
const NAME_ADDR = /^(?:"[^"]*"|[^<>"])*<([^<>]+)>$/u;

/** PRECIS-style folding without case mapping: width/compatibility folding, invisible characters removed, trimmed. */
function fold(value: string): string {
  return value.normalize("NFKC").replace(INVISIBLE, "").trim();
}

/** An email address reduced to lower-case `local@domain`, or undefined when it does not parse. */
export function normalizeEmail(value: string): string | undefined {
  let folded = fold(value).toLowerCase();
  const named = NAME_ADDR.exec(folded);
  if (named) folded = (named[1] ?? "").trim();
  const spec = parseAddrSpec(folded);
  return spec ? `${spec.local}@${spec.domain}` : undefined;
}

/** A phone number in E.164 (`+4917612345678`), or undefined when it is not a valid international number. */
export function normalizePhone(value: string): string | undefined {
  return parseValidPhone(fold(value));
}

/**
 * "Graceful" normalisation of a login identifier: folded and lower-cased; a valid phone number
 * (with leading +) becomes E.164 and an email address is reduced to `local@domain`; anything
 * else keeps the folded form.
 */
export function normalizeIdentifier(value: string): string {
  const folded = fold(value).toLowerCase();
  if (folded.startsWith("+")) {
    const phone = parseValidPhone(folded);
    if (phone) return phone;
  }
  if (folded.includes("@")) return normalizeEmail(folded) ?? folded;
  return folded;
}
