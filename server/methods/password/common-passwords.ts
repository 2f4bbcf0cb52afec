/**
 * Tessera's offline check (config `common_passwords_check_enabled`): refuse the passwords that
 * top every leaked-password list, even when the breach API is disabled or unreachable. The list is
 * the one @zxcvbn-ts/language-common ships (about 49 000 lower-case entries).
 */
import { createRequire } from "node:module";

/**
 * The list as one sorted, newline-separated string and the offset of each entry: about 0.6 MiB
 * where a `Set` of 49 000 strings took 3.4 MiB of heap for the life of the process.
 */
interface SortedList {
  text: string;
  starts: Uint32Array;
}

// Loaded once per process, not per app: it is immutable package data (a few tens of ms to
// build), so sharing it between apps keeps state out of the module in every way that matters.
let commonPasswords: Promise<SortedList> | undefined;

const PACKAGE_FILE = "@zxcvbn-ts/language-common/dist/passwords.json.cjs";

function buildList(): SortedList {
  const require = createRequire(import.meta.url);
  const file = require.resolve(PACKAGE_FILE);
  const entries = require(file) as string[];
  // Read once: out of require's cache, the package's array and its compressed source text go. Its
  // children go too: a cached child's `parent` would keep it.
  for (const child of require.cache[file]?.children ?? []) delete require.cache[child.id];
  delete require.cache[file];
  entries.sort();
  const starts = new Uint32Array(entries.length + 1);
  let offset = 0;
  entries.forEach((entry, i) => {
    starts[i] = offset;
    offset += entry.length + 1;
  });
  starts[entries.length] = offset;
  return { text: `${entries.join("\n")}\n`, starts };
}

function contains({ text, starts }: SortedList, value: string): boolean {
  let low = 0;
  let high = starts.length - 2;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const entry = text.slice(starts[middle]!, starts[middle + 1]! - 1);
    if (entry === value) return true;
    if (entry < value) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** Starts loading the list (if not yet loaded) and resolves to it. */
function loadCommonPasswords(): Promise<SortedList> {
  commonPasswords ??= Promise.resolve()
    .then(buildList)
    .catch((error: unknown) => {
      commonPasswords = undefined; // let a later call retry
      throw error;
    });
  return commonPasswords;
}

/** Case-insensitive, as the list holds lower-case entries only ("Password1" is as weak as "password1"). */
export async function isCommonPassword(password: string): Promise<boolean> {
  return contains(await loadCommonPasswords(), password.toLowerCase());
}
