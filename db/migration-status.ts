import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One migration of the folder's journal and whether the database has it. */
export interface MigrationState {
  name: string;
  applied: boolean;
}

/**
 * drizzle's migrator records each applied migration with the journal's `when` as `created_at`
 * and applies those newer than the last recorded one; a migration is applied when its `when` is
 * not after that (`lastApplied` is undefined before the first migration).
 */
export function migrationStates(migrationsFolder: string, lastApplied: number | undefined): MigrationState[] {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries.map((e) => ({
    name: e.tag,
    applied: lastApplied !== undefined && e.when <= lastApplied,
  }));
}
