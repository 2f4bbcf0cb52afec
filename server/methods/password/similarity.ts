/**
 * "Too similar to the identifier" (contract §13, check 2), as Kratos decides it: after
 * lower-casing both, the password is refused when fewer than 5 edits turn the identifier into
 * it, or when one contiguous run shared with the identifier covers more than half of it.
 */
import { distance } from "fastest-levenshtein";
import { utf8Length } from "./utf8.ts";

const MIN_EDIT_DISTANCE = 5;
const MAX_SHARED_FRACTION = 0.5;
/** Longer strings are not compared: the quadratic substring search would cost too much. */
const MAX_COMPARED_BYTES = 256;

export function isTooSimilarToIdentifier(identifier: string, password: string): boolean {
  if (identifier === "") return false;
  if (utf8Length(identifier) > MAX_COMPARED_BYTES || utf8Length(password) > MAX_COMPARED_BYTES) return false;
  const lowerIdentifier = identifier.toLowerCase();
  const lowerPassword = password.toLowerCase();
  // Lower-casing can lengthen a string ("İ" becomes two code points), so check again.
  const passwordBytes = utf8Length(lowerPassword);
  if (utf8Length(lowerIdentifier) > MAX_COMPARED_BYTES || passwordBytes > MAX_COMPARED_BYTES) return false;

  if (codePointDistance(lowerIdentifier, lowerPassword) < MIN_EDIT_DISTANCE) return true;
  if (passwordBytes === 0) return false;
  return longestCommonRunBytes(lowerIdentifier, lowerPassword) / passwordBytes > MAX_SHARED_FRACTION;
}

/**
 * Levenshtein distance counted in code points, as Kratos counts it (Go runes). fastest-levenshtein
 * counts UTF-16 units, where an emoji is two edits; when either string has one, every distinct code
 * point is first renamed to a single BMP character, which changes no distance.
 */
function codePointDistance(a: string, b: string): number {
  if (!hasSurrogates(a) && !hasSurrogates(b)) return distance(a, b);
  const names = new Map<string, string>();
  const rename = (text: string) =>
    Array.from(text, (char) => {
      let name = names.get(char);
      if (name === undefined) {
        // At most 512 distinct code points (256 bytes each side): all stay below the surrogates.
        name = String.fromCharCode(0x100 + names.size);
        names.set(char, name);
      }
      return name;
    }).join("");
  return distance(rename(a), rename(b));
}

function hasSurrogates(text: string): boolean {
  return /[\uD800-\uDFFF]/.test(text);
}

/**
 * UTF-8 length of the longest run of code points found contiguously in both strings; measured in
 * bytes because the ratio it feeds divides by the password's byte length.
 */
function longestCommonRunBytes(a: string, b: string): number {
  const aChars = Array.from(a);
  const bChars = Array.from(b);
  const bSizes = bChars.map(utf8Length);
  // Classic dynamic programming over two rolling rows: run[j] = bytes of the common run ending
  // at a[i] and b[j].
  let previous = new Int32Array(bChars.length + 1);
  let current = new Int32Array(bChars.length + 1);
  let longest = 0;
  for (const aChar of aChars) {
    for (let j = 0; j < bChars.length; j++) {
      const run = aChar === bChars[j] ? previous[j]! + bSizes[j]! : 0;
      current[j + 1] = run;
      if (run > longest) longest = run;
    }
    [previous, current] = [current, previous];
  }
  return longest;
}
