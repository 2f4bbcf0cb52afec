/**
 * Builds the @tessera/client package into client/dist/: ESM JavaScript (esbuild) and one bundled
 * declaration file per entry point (rollup + rollup-plugin-dts). Run by `npm run client:build` and
 * by `npm pack` in client/ (prepack).
 *
 * The declarations are checked after bundling: they may import only the package's dependencies
 * (@trpc/client, @trpc/server), react (the optional peer) and the package itself; never a server
 * module, zod or a path outside the package.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { rollup } from "rollup";
import { dts } from "rollup-plugin-dts";

export const CLIENT_DIR = fileURLToPath(new URL(".", import.meta.url));
const DIST = join(CLIENT_DIR, "dist");
const ENTRIES = { index: "src/index.ts", react: "src/react.ts" } as const;
/** What the built files may import: the dependencies, the optional peer, and the main entry (from react). */
const EXTERNAL = [/^@trpc\/(client|server)(\/|$)/, /^react$/, /^@tessera\/client$/];
const ALLOWED_IMPORT = /^(@trpc\/(client|server)|react|@tessera\/client)$/;

async function buildJs(): Promise<void> {
  await build({
    entryPoints: Object.entries(ENTRIES).map(([out, src]) => ({ out, in: join(CLIENT_DIR, src) })),
    outdir: DIST,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: ["es2020"],
    sourcemap: true,
    external: ["@trpc/client", "@trpc/server", "react", "@tessera/client"],
    // Resolve only the package's own sources, never the repository's tsconfig paths to src/.
    tsconfigRaw: { compilerOptions: {} },
    logLevel: "warning",
  });
}

/** One declaration file per entry point (one TypeScript program for both). */
async function buildDts(): Promise<void> {
  const bundle = await rollup({
    input: Object.fromEntries(Object.entries(ENTRIES).map(([name, src]) => [name, join(CLIENT_DIR, src)])),
    external: (id) => EXTERNAL.some((re) => re.test(id)),
    plugins: [
      dts({
        tsconfig: join(CLIENT_DIR, "tsconfig.json"),
        compilerOptions: { declaration: true, emitDeclarationOnly: true, noEmit: false },
      }),
    ],
    onwarn: (warning) => {
      throw new Error(`bundling the declarations: ${warning.message}`);
    },
  });
  // react.ts imports the main entry by package name (external), so the two share no chunk.
  const { output } = await bundle.write({ dir: DIST, format: "es", entryFileNames: "[name].d.ts" });
  await bundle.close();
  const extra = output.filter((o) => !Object.keys(ENTRIES).some((n) => o.fileName === `${n}.d.ts`));
  if (extra.length > 0) throw new Error(`unexpected declaration chunks: ${extra.map((o) => o.fileName)}`);
}

/** The module specifiers a declaration file imports or re-exports from. */
export function importsOf(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    found.add((m[1] ?? m[2])!);
  }
  return [...found];
}

function checkDeclarations(): void {
  for (const name of Object.keys(ENTRIES)) {
    const file = join(DIST, `${name}.d.ts`);
    const text = readFileSync(file, "utf8");
    const bad = importsOf(text).filter((spec) => !ALLOWED_IMPORT.test(spec));
    if (bad.length > 0) throw new Error(`${file} imports ${bad.join(", ")}: only wire types may be bundled`);
  }
}

/** Builds dist/ from scratch and returns its path. */
export async function buildClient(): Promise<string> {
  rmSync(DIST, { recursive: true, force: true });
  await buildJs();
  await buildDts();
  checkDeclarations();
  return DIST;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildClient().then(
    (dir) => console.log(`built @tessera/client into ${dir}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
