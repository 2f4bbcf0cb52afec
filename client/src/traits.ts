/**
 * Partial trait changes. The profile method replaces the traits as a whole (as Kratos's does), so a
 * front end that sends only the changed trait erases the others; `mergeTraits` puts the change on
 * top of the identity's current traits first.
 */

/** Some of the traits: nested objects may be partial too; arrays are replaced as a whole. */
export type TraitsPatch<T> = {
  [K in keyof T]?: NonNullable<T[K]> extends readonly unknown[]
    ? T[K]
    : NonNullable<T[K]> extends object
      ? TraitsPatch<NonNullable<T[K]>> | Extract<T[K], undefined>
      : T[K];
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `current` with `patch` merged in: objects key by key, arrays and values replaced, a key set to
 * `undefined` removed. Neither argument is changed.
 */
export function mergeTraits<T extends object>(current: T, patch: TraitsPatch<T>): T {
  const out: Record<string, unknown> = { ...(current as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = mergeTraits(
        out[key] as Record<string, unknown>,
        value as TraitsPatch<Record<string, unknown>>,
      );
    } else out[key] = value;
  }
  return out as T;
}
