import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * Phone numbers as Kratos's validator sees them: parsed without a default region (so only the
 * international `+` form parses) and valid per the full libphonenumber metadata. The "max"
 * metadata is used because the smaller sets only check lengths, not number ranges.
 */
export function parseValidPhone(value: string): string | undefined {
  const parsed = parsePhoneNumberFromString(value);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** The `tel` format. */
export function isPhone(value: string): boolean {
  return parseValidPhone(value) !== undefined;
}
