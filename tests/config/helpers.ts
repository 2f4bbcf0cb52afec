import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../server/config/errors.ts";

/** A temporary directory for config and schema files; `cleanup` removes it. */
export function tempDir(): {
  dir: string;
  write: (name: string, text: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "tessera-config-"));
  return {
    dir,
    write: (name, text) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Asserts `fn` throws a ConfigError whose message is one line equal to (or matching) `expected`. */
export function assertConfigError(fn: () => unknown, expected: string | RegExp): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.ok(!caught.message.includes("\n"), `message is not one line: ${JSON.stringify(caught.message)}`);
  if (typeof expected === "string") assert.equal(caught.message, expected);
  else assert.match(caught.message, expected);
  return caught;
}
