import { buildProgram } from "./cli/program.ts";
import { ConfigError } from "./config/errors.ts";
import { watchCourier } from "./courier/watch.ts";

/**
 * The `tessera` command (server/cli/program.ts). With no command it serves, so `npm start` runs
 * the server on the embedded defaults. A configuration problem is one line on stderr and exit 1.
 */
const program = buildProgram(
  { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) },
  {
    // `tessera courier watch`: a worker that only sends mail, until SIGTERM or SIGINT.
    async watchCourier(config) {
      const worker = await watchCourier(config);
      const stop = async () => {
        await worker.stop();
        process.exit(0);
      };
      process.on("SIGINT", () => void stop());
      process.on("SIGTERM", () => void stop());
    },
  },
);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || (err instanceof Error && err.name === "SchemaLoadError")) {
    console.error(err.message);
  } else {
    console.error(err instanceof Error ? err.message : err);
  }
  process.exit(1);
});
