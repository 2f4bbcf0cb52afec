/**
 * The packed @tessera/client in a front end outside this repository: `npm pack` in client/, the
 * tarball installed into a temporary Vite + React project (tests/client/frontend.ts), the traits
 * types generated from the identity schema, then
 * - type-checked under a strict `bundler` tsconfig and a non-strict `node16` one without
 *   DOM.Iterable (which also checks the package's .d.ts files): the correct files pass, and the three
 *   wrong ones fail with the expected errors (misspelt trait, wrong method, missing required trait);
 * - built with Vite, and run in Chromium against a Tessera on another origin (CORS with
 *   credentials): sign up through the client, change one trait and keep the others, change the
 *   password through the refresh login, sign out.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import react from "@vitejs/plugin-react";
import { build } from "vite";
import { spaHandler } from "../../examples/spa/static.ts";
import { listen } from "../../server/listen.ts";
import { writeTraitTypes } from "../../server/typegen/command.ts";
import {
  launchBrowser,
  NEW_PASSWORD,
  openPage,
  PASSWORD,
  Screenshots,
  see,
  steps,
} from "../browser/support.ts";
import { startTestServer } from "../helpers/server.ts";
import { canLogin } from "../trpc/support.ts";
import { createFrontend, type Frontend, filesUnder, tarballFiles, typecheck } from "./frontend.ts";

// Upper bounds for a loaded machine: the whole file needs about 30 s of CPU time.
const SLOW = { timeout: 300_000 };
let fe: Frontend;

before(async () => {
  fe = await createFrontend();
  // What `npm run types -- --out src/generated` writes (the CLI itself: tests/client/typegen.test.ts).
  await writeTraitTypes({ out: join(fe.dir, "src", "generated"), configFile: undefined }, {});
}, SLOW);
after(() => fe?.remove());

test("npm pack: the built package and its README, nothing else", async () => {
  const files = await tarballFiles(fe.tarball);
  assert.deepEqual(
    files.filter((f) => !f.endsWith(".map")),
    [
      "package/README.md",
      "package/dist/index.d.ts",
      "package/dist/index.js",
      "package/dist/react.d.ts",
      "package/dist/react.js",
      "package/package.json",
    ],
  );
  const pkg = JSON.parse(readFileSync(join(fe.dir, "node_modules/@tessera/client/package.json"), "utf8"));
  assert.equal(pkg.name, "@tessera/client");
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), ["@trpc/client", "@trpc/server"]);
  assert.deepEqual(pkg.peerDependenciesMeta, { react: { optional: true } });
  for (const name of ["index", "react"]) {
    const dts = readFileSync(join(fe.dir, `node_modules/@tessera/client/dist/${name}.d.ts`), "utf8");
    const imports = [...dts.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    for (const spec of imports) assert.match(spec!, /^(@trpc\/(client|server)|react|@tessera\/client)$/);
    const code = dts.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(
      code,
      /zod|drizzle|lucia|AppDeps|RequestContext/,
      `${name}.d.ts holds wire types only`,
    );
  }
});

/** The `file(line,col): error TSxxxx: message` lines of a tsc run. */
function errorsOf(output: string): { file: string; code: string; message: string }[] {
  return [...output.matchAll(/^(\S+)\(\d+,\d+\): error (TS\d+): (.*)$/gm)].map((m) => ({
    file: m[1]!,
    code: m[2]!,
    message: m[3]!,
  }));
}

test(
  "type-checks under a strict (bundler) and a non-strict (node16, no DOM.Iterable) tsconfig",
  SLOW,
  async () => {
    const [strict, loose] = await Promise.all([
      typecheck(fe.dir, "tsconfig.strict.json"),
      typecheck(fe.dir, "tsconfig.loose.json"),
    ]);
    for (const [label, run] of [
      ["strict", strict],
      ["loose", loose],
    ] as const) {
      const errors = errorsOf(run.output);
      // The correct files (the app, a native client, the generated types) and the package's own .d.ts
      // compile; only the three wrong files fail, each with its own error.
      assert.deepEqual(
        errors.map((e) => e.file).sort(),
        ["src/bad-method.ts", "src/bad-missing.ts", "src/bad-trait.ts"],
        `${label}:\n${run.output}`,
      );
      assert.equal(run.code, 2, `${label}: tsc fails because of them`);
      const byFile = Object.fromEntries(errors.map((e) => [e.file, e]));
      assert.equal(byFile["src/bad-trait.ts"]!.code, "TS2551");
      assert.match(
        byFile["src/bad-trait.ts"]!.message,
        /Property 'frist' does not exist .*Did you mean 'first'\?/,
      );
      assert.equal(byFile["src/bad-method.ts"]!.code, "TS2551");
      assert.match(
        byFile["src/bad-method.ts"]!.message,
        /Property 'updateProfil' does not exist .*Did you mean 'updateProfile'\?/,
      );
      assert.equal(byFile["src/bad-missing.ts"]!.code, "TS2741");
      assert.match(
        byFile["src/bad-missing.ts"]!.message,
        /Property 'email' is missing in type '\{ name: \{ first: string; \}; \}' but required in type 'DefaultTraits'/,
      );
    }
  },
);

let dist = "";

test("builds with Vite from the installed package", SLOW, async () => {
  dist = join(fe.dir, "dist");
  await build({
    root: fe.dir,
    configFile: false,
    logLevel: "warn",
    plugins: [react()],
    // Flat output: the example's static handler (examples/spa/static.ts) serves one directory.
    build: { outDir: dist, assetsDir: "", emptyOutDir: true },
  });
  const files = filesUnder(dist);
  assert.ok(files.includes("index.html"));
  const js = files.filter((f) => f.endsWith(".js"));
  assert.equal(js.length, 1, `one bundle: ${files.join(", ")}`);
  const bundle = readFileSync(join(dist, js[0]!), "utf8");
  assert.match(bundle, /x-session-token/, "the client is in the bundle");
  assert.doesNotMatch(bundle, /better-sqlite3|drizzle|lucia|argon2/, "no server code in the bundle");
});

test(
  "runs in Chromium: sign up, change one trait, change the password via refresh login, sign out",
  SLOW,
  async (t) => {
    assert.ok(dist, "built by the previous test");
    const browser = await launchBrowser(t);
    if (!browser) return;
    const app = await listen("127.0.0.1", 0);
    const appUrl = app.url;
    // Tessera on another origin (another port): CORS with credentials for the app, which is also
    // where finished settings flows return.
    const s = await startTestServer({
      serve: {
        public: {
          cors: { enabled: true, allowed_origins: [new URL(appUrl).origin], allow_credentials: true },
        },
      },
      selfservice: {
        allowed_return_urls: [appUrl],
        flows: { settings: { ui_url: appUrl, privileged_session_max_age: "15m" } },
      },
    });
    app.bind(spaHandler({ dir: dist, tesseraPublicUrl: s.publicUrl }));
    t.after(async () => {
      await app.close();
      await s.close();
    });
    const { page, errors } = await openPage(browser);
    const shots = new Screenshots("client-package");
    const email = "ada@example.com";
    const identities = async () => {
      const res = await fetch(new URL("admin/identities", s.adminUrl));
      return (await res.json()) as { traits: unknown }[];
    };

    await steps(page, shots, async () => {
      await page.goto(appUrl);
      // No session: the app shows its sign-up form (useSession gave null).
      await page.getByLabel("E-Mail").fill(email);
      await page.getByLabel("First name").fill("Ada");
      await page.getByLabel("Last name").fill("Byron");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await see.text(page.getByTestId("signed-in-as"), email);
      await see.text(page.getByTestId("first"), "Ada");
      await see.text(page.getByTestId("last"), "Byron");
      await shots.take(page, "signed-up");

      // One trait changed; updateProfile sent the others along, so nothing else is lost.
      await page.getByLabel("New first name").fill("Augusta");
      await page.getByRole("button", { name: "Save first name" }).click();
      await see.text(page.getByTestId("result"), "success");
      await see.text(page.getByTestId("first"), "Augusta");
      await see.text(page.getByTestId("last"), "Byron");
      await see.text(page.getByTestId("email"), email);
      assert.deepEqual(
        (await identities()).map((i) => i.traits),
        [{ email, name: { first: "Augusta", last: "Byron" } }],
      );
      await shots.take(page, "one-trait-changed");

      // 20 minutes later the session is too old for a password change: refreshRequired sends the
      // browser to Tessera's refresh login, which applies the kept change and returns to the app.
      s.clock.advance(20 * 60 * 1000);
      await page.getByLabel("New password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Change password" }).click();
      await see.url(page, new RegExp(`^${s.publicUrl}ui/login\\?flow=`));
      await see.visible(page.getByRole("heading", { name: "Confirm it's you" }));
      await shots.take(page, "refresh-login");
      assert.equal(await canLogin(s, email, PASSWORD), true, "not changed before the refresh login");
      await page.locator('input[name="password"]').fill(PASSWORD);
      await page.getByRole("button", { name: /sign in|continue|confirm/i }).click();
      await see.url(page, new RegExp(`^${appUrl}\\?flow=`));
      await see.text(page.getByTestId("flow-state"), "success");
      await see.text(page.getByTestId("first"), "Augusta");
      assert.equal(await canLogin(s, email, NEW_PASSWORD), true, "the new password works");
      await shots.take(page, "password-changed");

      await page.getByRole("button", { name: "Sign out" }).click();
      await see.visible(page.getByRole("button", { name: "Sign up" }));
      await shots.take(page, "signed-out");
    });
    assert.deepEqual(errors, [], "no uncaught errors in the app");
  },
);
