import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { systemClock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { DURATION_PATTERN, parseDuration } from "../duration.ts";
import type { CalibrateFlags } from "./calibrate.ts";
import { type GlobalOptions, loadCommandConfig } from "./context.ts";

export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** What the CLI writes to: stdout for results, stderr for diagnostics (tests may capture them). */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Commands wired in at merge by other parts (the courier's `watch`). */
export interface CliExtensions {
  /** `tessera courier watch`: sends queued mail until stopped (server/courier). */
  watchCourier?: (config: Config) => Promise<void>;
}

function duration(value: string): string {
  if (!DURATION_PATTERN.test(value))
    throw new InvalidArgumentError("expected a duration such as 30s, 5m or 1h");
  return value;
}

/**
 * The `tessera` command line (commander): `serve` (the default), `migrate [up|status]`, `cleanup`,
 * `identities import|export`, `hashers argon2 calibrate`, `version`, and `courier watch` once the
 * courier provides it. `-c/--config` and `--dev` are accepted before or after the command, as in
 * Kratos; `migrate sql -e --yes` (Kratos's spelling) means `migrate up`.
 */
export function buildProgram(io: CliIo, extensions: CliExtensions = {}): Command {
  const program = new Command("tessera")
    .description("Self-service identity server speaking Ory Kratos's HTTP API")
    .option("-c, --config <file>", "configuration file (Kratos-style YAML or JSON)")
    .option("--dev", "development mode: readable logs, cookies without Secure")
    .version(VERSION, "-v, --version", "print the version")
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

  program
    .command("serve", { isDefault: true })
    .description("run the public and admin listeners (migrates first)")
    .addOption(
      new Option("--shutdown-timeout <duration>", "grace period for requests in flight on SIGTERM")
        .default("10s")
        .argParser(duration),
    )
    .option("--watch-courier", "Kratos's flag; serve always sends queued mail")
    .action(async (opts: { shutdownTimeout: string }, cmd: Command) => {
      const { config, logger } = loadCommandConfig(globals(cmd));
      // Each command loads its modules when it runs, so `--help` and small commands start fast.
      const { serve } = await import("./serve.ts");
      // `serve` always sends queued mail; Kratos's --watch-courier is accepted for its configs' sake.
      await serve(config, logger, { shutdownTimeoutMs: parseDuration(opts.shutdownTimeout) });
    });

  const migrate = program
    .command("migrate")
    .description("apply database migrations (up, the default) or list them (status)")
    .argument("[action]", "up | status (Kratos's `sql` means up)", "up")
    .option("-e, --read-from-env", "Kratos compatibility: the DSN always comes from config and environment")
    .option("-y, --yes", "Kratos compatibility: never asks")
    .action(async (action: string, _opts: unknown, cmd: Command) => {
      const { config, logger } = loadCommandConfig(globals(cmd));
      const { migrateStatus, migrateUp } = await import("./migrate.ts");
      if (action === "status") return migrateStatus(config, io.out);
      if (action === "up" || action === "sql") return migrateUp(config, logger);
      cmd.error(`unknown migrate action "${action}" (expected up or status)`);
    });
  migrate.addHelpText("after", "\nExamples:\n  tessera migrate status\n  tessera migrate up -c tessera.yml");

  program
    .command("cleanup")
    .description("delete expired flows, sessions and continuity containers in batches")
    .argument("[kind]", "Kratos compatibility: `sql`")
    .option(
      "--older-than <duration>",
      "keep what expired less than this long ago (database.cleanup.older_than)",
      duration,
    )
    .option("--keep-last <duration>", "Kratos's name for --older-than", duration)
    .option("-b, --batch-size <n>", "rows per delete statement (database.cleanup.batch_size)")
    .option("--sleep <duration>", "pause between tables (database.cleanup.sleep.tables)", duration)
    .option("-e, --read-from-env", "Kratos compatibility: the DSN always comes from config and environment")
    .action(
      async (
        _kind: string | undefined,
        opts: { olderThan?: string; keepLast?: string; batchSize?: string; sleep?: string },
        cmd: Command,
      ) => {
        const { config, logger } = loadCommandConfig(globals(cmd));
        const olderThan = opts.olderThan ?? opts.keepLast;
        const { runCleanup } = await import("./cleanup.ts");
        await runCleanup(
          config,
          {
            ...(olderThan ? { olderThan } : {}),
            ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
            ...(opts.sleep ? { sleep: opts.sleep } : {}),
          },
          systemClock,
          io.out,
          logger,
        );
      },
    );

  const identities = program.command("identities").description("import and export identities as JSON lines");
  identities
    .command("import")
    .description("create identities from JSON lines in Kratos's createIdentityBody shape")
    .argument("<file>", "a file, or - for stdin")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const { config, logger } = loadCommandConfig(globals(cmd));
      const { importIdentities } = await import("./identities.ts");
      const summary = await importIdentities(config, file, { clock: systemClock, logger });
      for (const s of summary.skipped) io.err(`line ${s.line}: skipped: ${s.reason}`);
      for (const f of summary.failed) io.err(`line ${f.line}: failed: ${f.reason}`);
      io.out(
        `created ${summary.created}, skipped ${summary.skipped.length}, failed ${summary.failed.length}`,
      );
      if (summary.failed.length > 0) process.exitCode = 1;
    });
  identities
    .command("export")
    .description("write every identity as one JSON line (the import shape, password hashes included)")
    .argument("[file]", "a file (created with mode 600), or - / nothing for stdout")
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const { config } = loadCommandConfig(globals(cmd));
      const { exportIdentities } = await import("./identities.ts");
      const count = await exportIdentities(config, file);
      io.err(`exported ${count} identities`);
    });

  program
    .command("hashers")
    .description("password hasher tools")
    .command("argon2")
    .description("argon2 tools")
    .command("calibrate")
    .description("find the argon2 memory and iterations that take the expected time on this machine")
    .option("--expected-duration <duration>", "target time of one hash", duration, "500ms")
    .option("--start-memory <size>", "memory to start from", "64MB")
    .option("--max-memory <size>", "never use more memory than this", "1GB")
    .option("--adjust-memory-by <size>", "memory step", "64MB")
    .option("--start-iterations <n>", "iterations to start from", "1")
    .option("--parallelism <n>", "lanes (hashers.argon2.parallelism)", "1")
    .option("--probe-runs <n>", "hashes per probe (the median counts)", "2")
    .action(async (opts: CalibrateFlags) => {
      const { calibrateArgon2, calibrationYaml } = await import("./calibrate.ts");
      const result = await calibrateArgon2(opts, io.err);
      io.out(calibrationYaml(result));
    });

  program
    .command("version")
    .description("print the version")
    .action(() => io.out(VERSION));

  if (extensions.watchCourier) {
    const watch = extensions.watchCourier;
    program
      .command("courier")
      .description("the mail courier")
      .command("watch")
      .description("send queued mail until stopped")
      .action(async (_opts: unknown, cmd: Command) => {
        const { config } = loadCommandConfig(globals(cmd));
        await watch(config);
      });
  }
  return program;
}
