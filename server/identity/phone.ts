import { createRequire } from "node:module";

type Libphonenumber = typeof import("libphonenumber-js/max");

// Loaded on the first phone number, not at start: its full metadata is about 12 MiB of memory that
// a deployment whose schemas have no phone traits never needs (synchronously, because ajv formats
// and normalisation are synchronous).
let library: Libphonenumber | undefined;
function libphonenumber(): Libphonenumber {
  library ??= createRequire(import.meta.url)("libphonenumber-js/max") as Libphonenumber;
  return library;
}

/**
 * Phone numbers as Kratos's validator sees them: parsed without a default region (so only the
 * international `+` form parses) and valid per the full libphonenumber metadata. The "max"
 * metadata is used because the smaller sets only check lengths, not number ranges.
 */
export function parseValidPhone(value: string): string | undefined {
  const parsed = libphonenumber().parsePhoneNumberFromString(value);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** The `tel` format. */
export function isPhone(value: string): boolean {
  return parseValidPhone(value) !== undefined;
}
