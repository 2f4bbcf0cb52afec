import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  type Listener,
  NOT_IN_THE_API,
  OPENAPI_PATHS,
  renderOpenApi,
} from "../../schemas/generate/openapi.ts";
import { ANY, type Route } from "../../server/http/router.ts";
import { serverFor } from "../helpers/server.ts";

type Json = Record<string, unknown>;
const LISTENERS = ["public", "admin"] as const;
const METHODS = ["get", "put", "post", "delete", "patch"];

const committed = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const documentOf = (listener: Listener) => JSON.parse(committed(OPENAPI_PATHS[listener])) as Json;

/** `METHOD /path` for every operation of a document, in Kratos's spelling. */
function operationsOf(document: Json): string[] {
  return Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** A document path as the router spells it: admin paths are routed without `/admin`. */
function routerSpelling(operation: string): string {
  const [method, path] = operation.split(" ") as [string, string];
  return `${method} ${path.replace(/^\/admin(?=\/)/, "").replaceAll(/\{(\w+)\}/g, ":$1")}`;
}

function isRoute(value: unknown): value is Route {
  const r = value as Route;
  return typeof r?.path === "string" && Array.isArray(r.methods) && typeof r.handler === "function";
}

/** Every route exported by a module of server/http/routes/, so a new route file is covered too. */
async function allRestRoutes(): Promise<Route[]> {
  const folder = new URL("../../server/http/routes/", import.meta.url);
  const routes: Route[] = [];
  for (const file of readdirSync(folder)
    .filter((f) => f.endsWith(".ts"))
    .sort()) {
    const module = (await import(new URL(file, folder).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (Array.isArray(value) && value.length > 0 && value.every(isRoute)) routes.push(...value);
    }
  }
  return routes;
}

function matches(pattern: string, operation: string): boolean {
  return pattern.endsWith("*") ? operation.startsWith(pattern.slice(0, -1)) : operation === pattern;
}

function excluded(operation: string): boolean {
  return [...NOT_IN_THE_API.keys()].some((pattern) => matches(pattern, operation));
}

/** The `$ref`s of a document that do not resolve inside it. */
function danglingRefs(document: Json): string[] {
  const dangling: string[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null) return;
    for (const [key, sub] of Object.entries(value)) {
      if (key !== "$ref" || typeof sub !== "string") {
        visit(sub);
        continue;
      }
      let target: unknown = document;
      for (const segment of sub.replace(/^#\//, "").split("/"))
        target = (target as Json | undefined)?.[segment];
      if (target === undefined) dangling.push(sub);
    }
  };
  visit(document);
  return dangling;
}

describe("the OpenAPI documents (schemas/openapi/*.json)", () => {
  it("are what `npm run openapi` generates now", () => {
    for (const [path, text] of renderOpenApi()) {
      assert.equal(committed(path), text, `${path}: run \`npm run openapi\` and commit the result`);
    }
  });

  it("are self-contained OpenAPI 3.0 documents: every $ref resolves inside the document", () => {
    for (const listener of LISTENERS) {
      const document = documentOf(listener);
      assert.equal(document.openapi, "3.0.3");
      assert.ok(operationsOf(document).length > 0);
      assert.deepEqual(danglingRefs(document), [], listener);
    }
  });

  it("document every REST route in server/http/routes/, and only routes that exist", async () => {
    const routes = await allRestRoutes();
    const documented = new Set(LISTENERS.flatMap((l) => operationsOf(documentOf(l)).map(routerSpelling)));

    const undocumented = routes.flatMap((r) => {
      // A route answering every method (whoami) is documented by its GET.
      const methods = r.methods === ANY ? ["GET"] : r.methods;
      return methods.map((m) => `${m} ${r.path}`).filter((op) => !excluded(op) && !documented.has(op));
    });
    assert.deepEqual(undocumented, [], "add them to SERVED_OPERATIONS in schemas/generate/openapi.ts");

    const served = (op: string) =>
      routes.some((r) => {
        const [method, path] = op.split(" ");
        return r.path === path && r.methods.includes(method!);
      });
    assert.deepEqual(
      [...documented].filter((op) => !served(op)),
      [],
      "documented but not routed",
    );

    const routed = routes.flatMap((r) => r.methods.map((m) => `${m} ${r.path}`));
    const unused = [...NOT_IN_THE_API.keys()].filter((pattern) => !routed.some((op) => matches(pattern, op)));
    assert.deepEqual(unused, [], "exclusions that no longer match a route");
  });

  it("are served at /openapi.json, each listener listing only what it serves", async (t) => {
    const s = await serverFor(t);
    const base = { public: s.publicUrl, admin: s.adminUrl } as const;
    const other = { public: s.adminUrl, admin: s.publicUrl } as const;

    for (const url of [new URL("openapi.json", s.adminUrl), new URL("admin/openapi.json", s.adminUrl)]) {
      const res = await fetch(url);
      assert.equal(res.status, 200, url.href);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), documentOf("admin"), url.href);
    }
    const publicRes = await fetch(new URL("openapi.json", s.publicUrl));
    assert.deepEqual(await publicRes.json(), documentOf("public"));

    const id = "7f1e0000-0000-4000-8000-000000000000";
    for (const listener of LISTENERS) {
      for (const operation of operationsOf(documentOf(listener))) {
        const [method, path] = operation.split(" ") as [string, string];
        const url = new URL(path.slice(1).replaceAll(/\{\w+\}/g, id), base[listener]);
        const res = await fetch(url, {
          method,
          redirect: "manual",
          headers: { accept: "application/json" },
          ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
        });
        const text = await res.text();
        const where = `${listener}: ${operation} answered ${res.status} ${text.slice(0, 200)}`;
        // Not routed: a 405, the router's 404 (no reason), or Kratos's 307 to the other listener.
        assert.notEqual(res.status, 405, where);
        assert.ok(
          !(res.status === 404 && !text.includes('"reason"') && text.includes("could not be found")),
          where,
        );
        assert.ok(!(res.status === 307 && res.headers.get("location")?.startsWith(other[listener])), where);
      }
    }
  });
});
