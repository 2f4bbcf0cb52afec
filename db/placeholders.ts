import { getTableColumns, type Placeholder, sql, type Table } from "drizzle-orm";

/**
 * `{ column: sql.placeholder("column") }` for every column of a table, so that one prepared
 * insert or update takes a whole row (as the mapping helpers build it) as its parameters.
 * drizzle still encodes each value with its column's type when the statement runs.
 */
export function rowPlaceholders<T extends Table>(table: T): { [K in keyof T["$inferInsert"]]: Placeholder } {
  const columns = Object.keys(getTableColumns(table));
  return Object.fromEntries(columns.map((key) => [key, sql.placeholder(key)])) as {
    [K in keyof T["$inferInsert"]]: Placeholder;
  };
}

/**
 * The same for an update's `set()`, without the key column and any other `omit`ted ones. drizzle's
 * `set()` types leave out placeholders although it binds them exactly like inserted values, hence
 * the cast.
 */
export function setPlaceholders<T extends Table>(
  table: T,
  key: keyof T["$inferInsert"],
  ...omit: (keyof T["$inferInsert"])[]
): Partial<T["$inferInsert"]> {
  const set: Record<string, unknown> = rowPlaceholders(table);
  for (const column of [key, ...omit]) delete set[column as string];
  return set as Partial<T["$inferInsert"]>;
}

/** A record as the values of a prepared statement's placeholders (interfaces lack the index signature). */
export function asParams(row: object): Record<string, unknown> {
  return row as Record<string, unknown>;
}
