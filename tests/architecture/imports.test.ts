import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * Cycles that exist today: removed by the engine redesign (issue 7); delete entries as they go.
 * Each entry is written as the test prints it (starting at its alphabetically first file). The
 * deps/session/context ones are type-only imports, still a knot: none of the three reads alone.
 */
/**
 * Cycles tolerated for now. Empty: the engine redesign (issue 7) removed the last ones. The list
 * stays so a cycle that has to be lived with for a while is written down, not hidden.
 */
const KNOWN_CYCLES: readonly string[] = [];

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE_FOLDERS = ["server", "db", "shared", "client"];

/**
 * Relative specifiers of static imports and re-exports (`import … from "./x.ts"`, `import "./x.ts"`,
 * `export … from "./x.ts"`) and of dynamic `import("./x.ts")`. Comments are dropped first so a
 * commented-out import does not count. Whole-statement type imports (`import type …`,
 * `export type … from`) are not edges: TypeScript erases them, so they cannot make one module load
 * before its importer has finished (the AppDeps interface in server/deps.ts names the types of the
 * services that take AppDeps; that is a description, not a dependency).
 */
const SPECIFIER =
  /(?:\bimport\s+(?!type\s)(?:[\w*{}\s,$]+?\s+from\s+)?|\bexport\s+(?!type\s)[\w*{}\s,$]*?\s+from\s+|\bimport\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g;

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** file → the project files it imports (paths relative to the repository root). */
function importGraph(): Map<string, string[]> {
  const files = SOURCE_FOLDERS.flatMap(sourceFiles);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = withoutComments(readFileSync(join(ROOT, file), "utf8"));
    const targets = new Set<string>();
    for (const match of source.matchAll(SPECIFIER)) {
      const target = relative(ROOT, resolve(ROOT, dirname(file), match[1] as string));
      // JSON imports and the like are leaves; only TypeScript modules can close a cycle.
      if (known.has(target)) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Every elementary cycle among the strongly connected components (Tarjan, then a DFS per component). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);

  // Within a component, list each simple cycle once: start from its smallest member and only
  // visit members greater than the start.
  const cycles: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    for (const start of [...component].sort()) {
      const path = [start];
      const walk = (node: string): void => {
        for (const next of graph.get(node) ?? []) {
          if (!members.has(next)) continue;
          if (next === start) cycles.push([...path]);
          else if (next > start && !path.includes(next)) {
            path.push(next);
            walk(next);
            path.pop();
          }
        }
      };
      walk(start);
    }
  }
  return cycles;
}

function describeCycle(cycle: string[]): string {
  return [...cycle, cycle[0]].join(" → ");
}

test("no import cycles among server/, db/, shared/ and client/ (beyond the known ones)", () => {
  const cycles = findCycles(importGraph()).map(describeCycle).sort();
  const unexpected = cycles.filter((cycle) => !KNOWN_CYCLES.includes(cycle));
  assert.deepEqual(unexpected, [], `import cycles:\n${unexpected.join("\n")}`);
  // A known cycle that is gone must leave the list too, so the list only ever shrinks.
  const gone = KNOWN_CYCLES.filter((cycle) => !cycles.includes(cycle));
  assert.deepEqual(gone, [], `no longer cycles, delete them from KNOWN_CYCLES:\n${gone.join("\n")}`);
});

test("the flows never import the REST adapter (server/http/)", () => {
  const offending = [...importGraph()]
    .filter(([file]) => file.startsWith("server/flows/"))
    .flatMap(([file, targets]) =>
      targets.filter((t) => t.startsWith("server/http/")).map((t) => `${file} → ${t}`),
    );
  assert.deepEqual(offending, [], `server/flows/ imports server/http/:\n${offending.join("\n")}`);
});

test("the walker sees static, re-export and dynamic imports, not type-only or commented ones", () => {
  const source = withoutComments(`
    import a from "./a.ts";
    import type { B } from "../b.ts";
    import "./side-effect.ts";
    import {
      c,
      d,
    } from "./cd.ts";
    export { e } from "./e.ts";
    export * from "./f.ts";
    export type { G } from "./g.ts";
    const h = await import("./h.ts");
    import x from "node:fs";
    // import z from "./commented.ts";
    /* import y from "./block-commented.ts"; */
    const url = "https://example.com/x"; import w from "./after-url.ts";
  `);
  const found = [...source.matchAll(SPECIFIER)].map((m) => m[1]);
  assert.deepEqual(found, [
    "./a.ts",
    "./side-effect.ts",
    "./cd.ts",
    "./e.ts",
    "./f.ts",
    "./h.ts",
    "./after-url.ts",
  ]);
});

test("the cycle finder reports each elementary cycle once, self-imports included", () => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c", "a"]],
    ["c", ["a"]],
    ["d", ["d"]],
    ["e", ["a"]],
  ]);
  assert.deepEqual(findCycles(graph).map(describeCycle).sort(), ["a → b → a", "a → b → c → a", "d → d"]);
});
