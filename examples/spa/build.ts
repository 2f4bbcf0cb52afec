/**
 * Bundles the single-page example with esbuild: `src/main.ts` (with the typed client and
 * @trpc/client; the server's router types are erased) into `<outdir>/main.js`, plus `index.html`
 * and `style.css`. `npm run example:build` writes `examples/spa/dist/`; tests build into a temporary
 * directory of their own.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

export const SPA_DIR = fileURLToPath(new URL(".", import.meta.url));
export const DEFAULT_OUTDIR = join(SPA_DIR, "dist");

/** Builds the app into `outdir` and returns it. */
export async function buildSpa(outdir: string = DEFAULT_OUTDIR): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [join(SPA_DIR, "src", "main.ts")],
    outfile: join(outdir, "main.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    sourcemap: true,
    legalComments: "none",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "warning",
  });
  for (const file of ["index.html", "style.css"]) copyFileSync(join(SPA_DIR, file), join(outdir, file));
  return outdir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildSpa().then(
    (dir) => console.log(`built the single-page example into ${dir}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
