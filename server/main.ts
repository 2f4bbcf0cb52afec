import { buildProgram } from "./cli/program.ts";
import { ConfigError } from "./config/errors.ts";

/**
 * The `tessera` command (server/cli/program.ts). With no command it serves, so `npm start` runs
 * the server on the embedded defaults. A configuration problem is one line on stderr and exit 1.
 */
const program = buildProgram(
  { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
  // Merge point: `watchCourier` from server/courier once the dispatcher exists (`tessera courier watch`).
  {},
);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || (err instanceof Error && err.name === "SchemaLoadError")) {
    console.error(err.message);
  } else {
    console.error(err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
