/**
 * Tessera's offline check (config `common_passwords_check_enabled`): refuse the passwords that
 * top every leaked-password list, even when the breach API is disabled or unreachable. The list is
 * the one @zxcvbn-ts/language-common ships (about 49 000 lower-case entries).
 */

// Loaded once per process, not per app: it is immutable package data (about 15 ms and a few MB
// to build), so sharing it between apps keeps state out of the module in every way that matters.
let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/** Starts loading the list (if not yet loaded) and resolves to it. */
export function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= import("@zxcvbn-ts/language-common").then(
    ({ dictionary }) => new Set(dictionary["passwords-common"]),
    (error: unknown) => {
      commonPasswords = undefined; // let a later call retry
      throw error;
    },
  );
  return commonPasswords;
}

/** Case-insensitive, as the list holds lower-case entries only ("Password1" is as weak as "password1"). */
export async function isCommonPassword(password: string): Promise<boolean> {
  return (await loadCommonPasswords()).has(password.toLowerCase());
}
