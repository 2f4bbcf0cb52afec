/**
 * `npm run build`: bundles the server (server/main.ts and everything it imports from this
 * repository) into dist/server/main.mjs, which `npm start` runs with plain node. Running from the
 * bundle saves the TypeScript loader's memory (tsx keeps a loader thread and its caches: about
 * 45 MiB of RSS) and the start-up compilation. Pure-JavaScript ES module packages (zod, drizzle,
 * jose, tRPC, …) are bundled too; the others (native modules, CommonJS) load from node_modules.
 *
 * Files found relative to a module (`new URL("../schemas/…", import.meta.url)`) keep working: each
 * module's `import.meta.url` is rewritten to its original location, relative to the bundle.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const BUNDLED_PACKAGES = new Set([
  "zod",
  "drizzle-orm",
  "jose",
  "@noble/ciphers",
  "@trpc/server",
  "lucia",
  "@oslojs/crypto",
  "@oslojs/encoding",
  "@oslojs/binary",
]);

const root = fileURLToPath(new URL("../", import.meta.url));
const outdir = `${root}dist/server`;

// Chunks of an earlier build would stay beside the new ones.
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: `${root}server/main.ts` },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // What the code imports on demand (the PostgreSQL store and pg, the CLI's other commands with
  // cli-progress and the argon2 C binding) goes in chunks loaded on demand: in one file, esbuild
  // hoists their packages' imports to the top, and every start would load them.
  splitting: true,
  outdir,
  outExtension: { ".js": ".mjs" },
  // In the same directory as main.mjs: each module's rewritten import.meta.url is relative to it.
  chunkNames: "[name]-[hash]",
  charset: "ascii",
  sourcemap: "linked",
  logLevel: "warning",
  plugins: [
    {
      // Pure-JavaScript ES module packages are bundled (tree-shaken, in ASCII, one module instead
      // of hundreds of files each with its own source text and module record); the rest (native
      // modules, CommonJS, whatever finds files beside itself) loads from node_modules.
      name: "external-packages",
      setup(b) {
        b.onResolve({ filter: /^[^./#]/ }, (args) => {
          const name = /^(@[^/]+\/)?[^/]+/.exec(args.path)![0];
          if (BUNDLED_PACKAGES.has(name) || args.path.startsWith("node:")) return undefined;
          return { path: args.path, external: true };
        });
      },
    },
    {
      name: "original-import-meta-url",
      setup(b) {
        b.onLoad({ filter: /\.ts$/ }, async (args) => {
          const source = await readFile(args.path, "utf8");
          const original = relative(outdir, args.path);
          return {
            contents: source.replaceAll(
              "import.meta.url",
              `new URL(${JSON.stringify(original)}, import.meta.url).href`,
            ),
            loader: "ts",
          };
        });
      },
    },
  ],
});

// V8 keeps each module's source text in memory, and a single non-ASCII character makes it a
// two-byte string (twice the bytes). esbuild escapes strings but keeps comments (and regular
// expression literals) as written: escape what is left. `\uXXXX` means the same character in a
// string, a regular expression (a surrogate pair is one code point under the u flag) and an
// identifier, and is only text in a comment.
for (const name of await readdir(outdir)) {
  if (!name.endsWith(".mjs")) continue;
  const file = `${outdir}/${name}`;
  const source = await readFile(file, "utf8");
  if (!/[^\0-\x7f]/.test(source)) continue;
  const ascii = source.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  await writeFile(file, ascii);
}
