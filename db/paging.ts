/**
 * Turns up to `pageSize + 1` rows ordered by id into a keyset page: the extra row (fetched only
 * to learn whether another page exists) is dropped, and the last id kept becomes the next token.
 */
export function keysetPage<T extends { id: string }>(
  rows: T[],
  pageSize: number,
): { items: T[]; nextPageToken?: string } {
  if (rows.length <= pageSize || pageSize <= 0) return { items: rows.slice(0, Math.max(pageSize, 0)) };
  const items = rows.slice(0, pageSize);
  return { items, nextPageToken: items[items.length - 1]!.id };
}

/** Spreads into a result so that "no more pages" leaves the key out instead of setting it to undefined. */
export function withNextPageToken(nextPageToken: string | undefined): { nextPageToken?: string } {
  return nextPageToken === undefined ? {} : { nextPageToken };
}
