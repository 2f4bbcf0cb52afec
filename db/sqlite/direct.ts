/**
 * Drizzle writes the SQL of the prepared statements; this runs them. Drizzle's prepared query
 * resolves every parameter on every call (`fillPlaceholders` asks each one what kind of entity it
 * is, two or three prototype walks per column) and decodes each row through the same questions
 * (`mapResultRow`): on a profile update, whose statements bind a dozen columns each, that was more
 * than the native statements themselves. Here the questions are asked once, when the statement is
 * prepared: each parameter becomes a getter of the named value through its column's encoder, and a
 * flat selection (one table's columns, as every hot statement here has) a list of column decoders.
 * A statement of another shape keeps drizzle's own methods.
 */
import type Database from "better-sqlite3";
import { Column, is, Param, Placeholder } from "drizzle-orm";

type Values = Record<string, unknown>;

/** What drizzle's better-sqlite3 prepared query holds (drizzle-orm/better-sqlite3/session.js). */
interface DrizzlePrepared {
  stmt: Database.Statement;
  query: { sql: string; params: unknown[] };
  fields?: { path: string[]; field: unknown }[];
  customResultMapper?: unknown;
  run(values?: Values): Database.RunResult;
  get(values?: Values): unknown;
  all(values?: Values): unknown[];
}

/** Drizzle's own check, kept: a missing value is a bug in the caller, not a NULL. */
function named(values: Values, name: string): unknown {
  if (!(name in values)) throw new Error(`No value for placeholder "${name}" was provided`);
  return values[name];
}

function paramGetter(param: unknown): (values: Values) => unknown {
  if (is(param, Placeholder)) {
    const { name } = param;
    return (values) => named(values, name);
  }
  if (is(param, Param) && is(param.value, Placeholder)) {
    const { name } = param.value;
    const { encoder } = param;
    return (values) => encoder.mapToDriverValue(named(values, name));
  }
  return () => param;
}

/** Each selected field's decoder, when the selection is one table's columns; else undefined. */
function flatDecoders(fields: DrizzlePrepared["fields"]): { key: string; column: Column }[] | undefined {
  if (!fields) return undefined;
  const decoders: { key: string; column: Column }[] = [];
  for (const { path, field } of fields) {
    if (path.length !== 1 || !is(field, Column)) return undefined;
    decoders.push({ key: path[0]!, column: field });
  }
  return decoders;
}

/** `prepared`, its run/get/all now binding and decoding without drizzle's per-call work. */
export function direct<T>(prepared: T): T {
  const query = prepared as unknown as DrizzlePrepared;
  const getters = query.query.params.map(paramGetter);
  const bind = (values: Values = {}) => getters.map((get) => get(values));
  const { stmt } = query;
  query.run = (values) => stmt.run(bind(values));
  if (query.customResultMapper) return prepared;
  if (!query.fields) {
    if (stmt.reader) {
      query.get = (values) => stmt.get(bind(values));
      query.all = (values) => stmt.all(bind(values));
    }
    return prepared;
  }
  const decoders = flatDecoders(query.fields);
  if (!decoders) return prepared;
  const raw = stmt.raw(true);
  const decode = (row: unknown[]) => {
    const record: Record<string, unknown> = {};
    for (let i = 0; i < decoders.length; i++) {
      const value = row[i];
      const { key, column } = decoders[i]!;
      record[key] = value === null ? null : column.mapFromDriverValue(value);
    }
    return record;
  };
  query.get = (values) => {
    const row = raw.get(bind(values)) as unknown[] | undefined;
    return row && decode(row);
  };
  query.all = (values) => (raw.all(bind(values)) as unknown[][]).map(decode);
  return prepared;
}
