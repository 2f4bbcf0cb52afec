/**
 * The README's "Three ways to call it" runs as written: every code block marked `test` is taken out
 * of README.md and run against a server this test starts, with the README's placeholder origins
 * (`http://127.0.0.1:4433` for Tessera, `http://127.0.0.1:5173` for the app) replaced by real ones.
 * - `yaml test`: the configuration, given to the server (so the CORS settings are the README's);
 * - `html test`: every link is followed once, as a browser would, into Tessera's built-in pages;
 * - `ts test`: imported as a module, in order. A snippet in cookie mode gets what a browser on the
 *   app's origin has: a cookie jar and an `Origin` header on every request.
 * The TypeScript snippets must also type-check; what they did is checked through the admin API.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import type { ConfigInput } from "../../server/config/schema.ts";
import { writeTraitTypes } from "../../server/typegen/command.ts";
import { CookieJar } from "../helpers/http.ts";
import { startTestServer } from "../helpers/server.ts";
import { ROOT } from "./frontend.ts";

const run = promisify(execFile);
const TESSERA = "http://127.0.0.1:4433";
const APP = "http://127.0.0.1:5173";

interface Block {
  lang: string;
  code: string;
  line: number;
}

/** The fenced code blocks whose info string is `<lang> test`. */
export function testedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const re = /^```(\w+) test\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(re)) {
    blocks.push({ lang: m[1]!, code: m[2]!, line: markdown.slice(0, m.index).split("\n").length });
  }
  return blocks;
}

test("README: the configuration, the built-in pages' links, the SDK and the typed client snippets run", {
  timeout: 300_000,
}, async (t) => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const blocks = testedBlocks(readme);
  const count = (lang: string) => blocks.filter((b) => b.lang === lang).length;
  assert.deepEqual([count("yaml"), count("html"), count("ts")], [1, 1, 3], "the README's tested blocks");

  // The app's origin: any free port stands in for 5173 (nothing needs to listen there).
  const appOrigin = "http://127.0.0.1:5999";
  const yamlBlock = blocks.find((b) => b.lang === "yaml")!;
  const config = parseYaml(yamlBlock.code.replaceAll(APP, appOrigin)) as ConfigInput;
  const s = await startTestServer(config);
  t.after(() => s.close());
  const tessera = s.publicUrl.replace(/\/$/, "");
  const place = (code: string) => code.replaceAll(TESSERA, tessera).replaceAll(APP, appOrigin);

  // The CORS settings as written: a preflight from the app's origin is allowed, with credentials.
  const preflight = await fetch(`${tessera}/trpc/settings.create`, {
    method: "OPTIONS",
    headers: {
      origin: appOrigin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });
  assert.ok(preflight.status < 300, `preflight: ${preflight.status}`);
  assert.equal(preflight.headers.get("access-control-allow-origin"), appOrigin);
  assert.equal(preflight.headers.get("access-control-allow-credentials"), "true");

  // The built-in pages: each link leads a browser (no session) to one of Tessera's pages.
  const links = [...place(blocks.find((b) => b.lang === "html")!.code).matchAll(/href="([^"]+)"/g)];
  assert.equal(links.length, 3);
  for (const [, href] of links) {
    const browser = new CookieJar(); // a fresh browser: no session, cookies kept
    const html = { headers: { accept: "text/html", connection: "close" } };
    const res = await browser.fetch(href!, html);
    assert.equal(res.status, 303, href);
    let location = new URL(res.headers.get("location")!, href);
    // Without a session the settings link goes through sign-in first, as Kratos's does.
    for (let hops = 0; hops < 3 && !location.pathname.startsWith("/ui/"); hops++) {
      const next = await browser.fetch(location, html);
      assert.equal(next.status, 303, `${location}`);
      location = new URL(next.headers.get("location")!, location);
    }
    assert.equal(location.origin, tessera, `${href} stays on Tessera`);
    assert.match(location.pathname, /^\/ui\/(registration|login)$/, `${href} leads to a built-in page`);
    const page = await browser.fetch(location, html);
    assert.equal(page.status, 200, `${location} is a page`);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
  }

  // The TypeScript snippets, as modules next to the traits types `npm run types` writes.
  const dir = join(ROOT, "test-output", "readme-snippets");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await writeTraitTypes({ out: join(dir, "generated"), configFile: undefined }, {});

  const realFetch = globalThis.fetch;
  const realLog = console.log;
  const logged: unknown[][] = [];
  t.after(() => {
    globalThis.fetch = realFetch;
    console.log = realLog;
  });
  for (const [i, block] of blocks.filter((b) => b.lang === "ts").entries()) {
    const file = join(dir, `snippet-${i + 1}-line-${block.line}.ts`);
    writeFileSync(file, place(block.code));
    // A browser on the app's origin: cookies kept per site, the Origin header on every call.
    const jar = new CookieJar();
    globalThis.fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      // A fresh connection per request: on a loaded machine a reused keep-alive socket can race the
      // server closing it, which would fail a snippet for a reason the README has nothing to do with.
      headers.set("connection", "close");
      if (init?.credentials === "include") {
        headers.set("origin", appOrigin);
        if (jar.cookies.size > 0) headers.set("cookie", jar.header());
      }
      const res = await realFetch(input, { ...init, headers });
      if (init?.credentials === "include") jar.store(res);
      return res;
    };
    console.log = (...args: unknown[]) => void logged.push(args);
    try {
      await import(pathToFileURL(file).href);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new Error(
        `README.md line ${block.line}: ${err instanceof Error ? err.stack : String(err)}${cause ? `\ncaused by ${String(cause)}` : ""}`,
      );
    } finally {
      globalThis.fetch = realFetch;
      console.log = realLog;
    }
  }

  // The snippets also compile as written (typed traits, typed results), with the repository's settings.
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ extends: "../../tsconfig.json", include: ["*.ts", "generated"], exclude: [] }),
  );
  const tsc = await run(
    process.execPath,
    [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir, "--pretty", "false"],
    {
      cwd: dir,
    },
  ).then(
    () => "",
    (err: { stdout?: string }) => err.stdout ?? String(err),
  );
  assert.equal(tsc, "", "the README's TypeScript snippets type-check");

  // What the snippets did: each changed one trait and kept the others.
  const res = await fetch(new URL("admin/identities", s.adminUrl));
  const identities = (await res.json()) as { traits: { email: string } }[];
  assert.deepEqual(
    identities.map((i) => i.traits).sort((a, b) => a.email.localeCompare(b.email)),
    [
      { email: "ada@example.com", name: { first: "Augusta", last: "Byron" } },
      { email: "grace@example.com", name: { first: "Amazing Grace", last: "Hopper" } },
    ],
  );
  // The native snippet saw the typed traits and a typed error.
  assert.deepEqual(logged, [["Amazing Grace"], [404, ""]]);
});
