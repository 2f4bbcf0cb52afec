/**
 * `npm run example:spa`: builds the single-page example, starts a Tessera configured for it
 * (in-process, SQLite under ./data/spa-example/) and serves the app from a second listener on the
 * same host, then prints both URLs. Ctrl-C stops everything.
 *
 * Environment: HOST (default 127.0.0.1), SPA_PORT (4455), PUBLIC_PORT (4433), ADMIN_PORT (4434),
 * DSN (default sqlite://./data/spa-example/tessera.sqlite), LOG_LEVEL.
 */
import { mkdirSync } from "node:fs";
import { relative, resolve } from "node:path";
import { listen } from "../../server/listen.ts";
import { buildSpa } from "./build.ts";
import { spaHandler } from "./static.ts";
import { startExampleTessera } from "./tessera.ts";

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} must be a port number, got "${raw}"`);
  return n;
}

// A port already taken surfaces as an 'error' event of the listener: say so plainly.
process.on("uncaughtException", (err: NodeJS.ErrnoException) => {
  if (err.code === "EADDRINUSE") {
    console.error(
      `port ${(err as { port?: number }).port ?? ""} is already in use (is \`npm start\` running?); set SPA_PORT, PUBLIC_PORT or ADMIN_PORT`,
    );
  } else {
    console.error(err);
  }
  process.exit(1);
});

async function main(): Promise<void> {
  const host = process.env.HOST || "127.0.0.1";
  const dataDir = resolve("data", "spa-example");
  mkdirSync(dataDir, { recursive: true });
  const dsn = process.env.DSN || `sqlite://./${relative(process.cwd(), resolve(dataDir, "tessera.sqlite"))}`;

  const dist = await buildSpa();
  const [spa, pub, adm] = await Promise.all([
    listen(host, port("SPA_PORT", 4455)),
    listen(host, port("PUBLIC_PORT", 4433)),
    listen(host, port("ADMIN_PORT", 4434)),
  ]);
  const tessera = await startExampleTessera({
    public: pub,
    admin: adm,
    spaUrl: spa.url,
    dsn,
    env: process.env,
  });
  spa.bind(spaHandler({ dir: dist, tesseraPublicUrl: tessera.publicUrl }));

  console.log(`
Tessera single-page example

  open the app:     ${spa.url}
  Tessera (public): ${tessera.publicUrl}   built-in pages: ${tessera.publicUrl}ui/
  Tessera (admin):  ${tessera.adminUrl}
  database:         ${dsn}

Use the host name shown (${new URL(spa.url).hostname}) for both: cookies are shared across ports of one
host, not between "localhost" and "127.0.0.1". Press Ctrl-C to stop.
`);

  const stop = async () => {
    await Promise.all([spa.close(), tessera.close()]);
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
