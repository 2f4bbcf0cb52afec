import { resolve } from "node:path";
import type { Store } from "./store.ts";

/** A parsed Kratos-style DSN. */
export type StoreDsn =
  | { dialect: "sqlite" /** Absolute path, or ":memory:". */; filename: string }
  | { dialect: "postgres"; connectionString: string; searchPath?: string; maxConnections?: number };

const supportedForms = '"memory", "sqlite://<path>", "sqlite::memory:" or "postgres://…"';

/**
 * Parses the DSNs Kratos accepts for the databases Tessera supports:
 * `memory`, `sqlite://./data/db.sqlite?_fk=true` (query ignored, relative to the working
 * directory), `sqlite:///abs/db.sqlite`, `sqlite::memory:`, and `postgres://` / `postgresql://`
 * URLs, of whose query `search_path` and `max_conns` are taken here and the rest left to `pg`.
 */
export function parseStoreDsn(dsn: string): StoreDsn {
  const trimmed = dsn.trim();
  if (trimmed === "memory") return { dialect: "sqlite", filename: ":memory:" };
  if (trimmed.startsWith("sqlite:")) return { dialect: "sqlite", filename: sqliteFilename(trimmed) };
  if (/^postgres(ql)?:\/\//.test(trimmed)) return postgresDsn(trimmed);
  // Only the scheme is echoed: a DSN may carry a password.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1];
  throw new Error(
    `Unsupported database DSN${scheme ? ` scheme "${scheme}"` : ""}: expected ${supportedForms}`,
  );
}

function sqliteFilename(dsn: string): string {
  let path = dsn.slice("sqlite:".length);
  if (path.startsWith("//")) path = path.slice(2);
  path = path.split("?")[0]!;
  if (path.startsWith("file:")) path = path.slice("file:".length);
  if (path === ":memory:") return ":memory:";
  if (path === "") throw new Error(`SQLite DSN without a path: expected ${supportedForms}`);
  return resolve(process.cwd(), path);
}

function postgresDsn(dsn: string): StoreDsn {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new Error("Invalid PostgreSQL DSN: not a URL");
  }
  const searchPath = takeParam(url, "search_path");
  const maxConns = takeParam(url, "max_conns");
  const maxConnections = maxConns === undefined ? undefined : Number.parseInt(maxConns, 10);
  if (maxConnections !== undefined && !(maxConnections > 0)) {
    throw new Error(`Invalid max_conns in PostgreSQL DSN: ${maxConns}`);
  }
  return {
    dialect: "postgres",
    connectionString: url.toString(),
    ...(searchPath === undefined ? {} : { searchPath }),
    ...(maxConnections === undefined ? {} : { maxConnections }),
  };
}

function takeParam(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name) ?? undefined;
  url.searchParams.delete(name);
  return value;
}

/**
 * Opens (without migrating) the store a DSN names. The drivers are imported on demand, so a
 * SQLite deployment never loads `pg` and a PostgreSQL one never loads better-sqlite3.
 */
export async function openStore(dsn: string): Promise<Store> {
  const parsed = parseStoreDsn(dsn);
  if (parsed.dialect === "sqlite") {
    const { SqliteStore } = await import("./sqlite/store.ts");
    return new SqliteStore(parsed.filename);
  }
  const { PostgresStore } = await import("./pg/store.ts");
  const { dialect: _dialect, ...options } = parsed;
  return new PostgresStore(options);
}
