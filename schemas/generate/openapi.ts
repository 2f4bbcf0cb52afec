import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatJson, isMain, repositoryRoot, writeGenerated } from "./format-json.ts";

/**
 * Generates the OpenAPI documents each listener serves at `/openapi.json`
 * (server/http/routes/openapi.ts): Kratos's own document (schemas/kratos-openapi.json, ory/kratos,
 * Apache-2.0, see schemas/NOTICE.md) trimmed to the operations Tessera implements, with only the
 * components and tags those operations reference. Run with `npm run openapi`;
 * tests/schemas/openapi.test.ts fails when the committed files drift, when a REST route is not
 * documented here, or when a document lists something its listener does not serve.
 *
 * Trimming Kratos's document (rather than generating one from zod) keeps its operation ids,
 * descriptions and response shapes, which is what Ory's SDKs are generated from.
 */

type Json = Record<string, unknown>;
export type Listener = "public" | "admin";

/** The operations each listener serves, spelt as in Kratos's document (`METHOD /path`). */
export const SERVED_OPERATIONS: Readonly<Record<Listener, readonly string[]>> = {
  public: [
    "GET /health/alive",
    "GET /health/ready",
    "GET /version",
    "GET /schemas",
    "GET /schemas/{id}",
    "GET /self-service/errors",
    "GET /self-service/login/browser",
    "GET /self-service/login/api",
    "GET /self-service/login/flows",
    "POST /self-service/login",
    "GET /self-service/registration/browser",
    "GET /self-service/registration/api",
    "GET /self-service/registration/flows",
    "POST /self-service/registration",
    "GET /self-service/settings/browser",
    "GET /self-service/settings/api",
    "GET /self-service/settings/flows",
    "POST /self-service/settings",
    "GET /self-service/verification/browser",
    "GET /self-service/verification/api",
    "GET /self-service/verification/flows",
    "POST /self-service/verification",
    "GET /self-service/recovery/browser",
    "GET /self-service/recovery/api",
    "GET /self-service/recovery/flows",
    "POST /self-service/recovery",
    "GET /.well-known/change-password",
    "GET /self-service/logout/browser",
    "GET /self-service/logout",
    "DELETE /self-service/logout/api",
    "GET /sessions/whoami",
    "GET /sessions",
    "DELETE /sessions",
    "DELETE /sessions/{id}",
  ],
  admin: [
    "GET /health/alive",
    "GET /health/ready",
    "GET /version",
    "GET /admin/identities",
    "POST /admin/identities",
    "PATCH /admin/identities",
    "GET /admin/identities/by/external/{externalID}",
    "GET /admin/identities/{id}",
    "PUT /admin/identities/{id}",
    "PATCH /admin/identities/{id}",
    "DELETE /admin/identities/{id}",
    "DELETE /admin/identities/{id}/credentials/{type}",
    "GET /admin/identities/{id}/sessions",
    "DELETE /admin/identities/{id}/sessions",
    "GET /admin/sessions",
    "GET /admin/sessions/{id}",
    "DELETE /admin/sessions/{id}",
    "PATCH /admin/sessions/{id}/extend",
    "POST /admin/recovery/code",
    "POST /admin/recovery/link",
    "GET /admin/courier/messages",
    "GET /admin/courier/messages/{id}",
  ],
};

/**
 * Routes in server/http/routes/ that are not part of the REST API, so no document lists them.
 * (The built-in pages are another door, mounted from server/pages/routes.ts.)
 * A path ending in `*` covers everything below it.
 */
export const NOT_IN_THE_API: ReadonlyMap<string, string> = new Map([
  ["GET /openapi.json", "the document itself"],
  [
    "GET /self-service/settings",
    "resumes a browser submission paused for re-authentication (Kratos's continuity); not in Kratos's API either",
  ],
  [
    "GET /self-service/verification",
    "the mailed verification link (?flow=&code=|token=); Kratos serves it but does not document it",
  ],
  [
    "GET /self-service/recovery",
    "the mailed recovery link (?flow=&token=); Kratos serves it but does not document it",
  ],
  [
    "GET /self-service/methods/oidc/callback*",
    "the OpenID provider's redirect back; Kratos serves it but does not document it",
  ],
  [
    "POST /self-service/methods/oidc/callback*",
    "the provider's form_post back, answered 302 to the GET; undocumented in Kratos too",
  ],
  ["GET /self-service/account/*", "Tessera's own account API (docs/account-features.md), not Kratos's"],
  ["POST /self-service/account/*", "Tessera's own account API (docs/account-features.md), not Kratos's"],
  ["GET /identities/:id/history", "Tessera's own admin history (docs/account-features.md), not Kratos's"],
]);

export const OPENAPI_PATHS: Readonly<Record<Listener, string>> = {
  public: "schemas/openapi/public.json",
  admin: "schemas/openapi/admin.json",
};

const LISTENER_TEXT: Record<Listener, string> = {
  public: "the public listener (self-service flows, sessions, identity schemas)",
  admin:
    "the admin listener (identities, sessions and the courier queue; every path also answers without its `/admin` prefix)",
};

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every `#/components/...` reference below `value`. */
function collectRefs(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectRefs(item, into);
  } else if (isObject(value)) {
    for (const [key, sub] of Object.entries(value)) {
      if (key === "$ref" && typeof sub === "string" && sub.startsWith("#/components/")) into.add(sub);
      else collectRefs(sub, into);
    }
  }
}

/** The components the kept operations reference, followed transitively. */
function referencedComponents(source: Json, roots: unknown): Json {
  const components = source.components as Record<string, Json>;
  const seen = new Set<string>();
  const pending = new Set<string>();
  collectRefs(roots, pending);
  while (pending.size > 0) {
    const [ref] = pending;
    pending.delete(ref!);
    if (seen.has(ref!)) continue;
    seen.add(ref!);
    const [, , section, name] = ref!.split("/");
    const target = components[section!]?.[name!];
    if (target === undefined) throw new Error(`Kratos's document has no ${ref}`);
    collectRefs(target, pending);
  }
  const kept: Record<string, Json> = {};
  for (const [section, entries] of Object.entries(components)) {
    for (const [name, value] of Object.entries(entries)) {
      if (!seen.has(`#/components/${section}/${name}`)) continue;
      kept[section] ??= {};
      kept[section][name] = value;
    }
  }
  // Security schemes are referenced by name from `security`, not by $ref.
  const schemes = new Set<string>();
  collectSecurityNames(roots, schemes);
  // Kratos's document names a `sessionToken` scheme it never defines; only defined ones are kept.
  const definedSchemes = Object.entries(components.securitySchemes ?? {}).filter(([name]) =>
    schemes.has(name),
  );
  if (definedSchemes.length > 0) kept.securitySchemes = Object.fromEntries(definedSchemes);
  return kept;
}

function collectSecurityNames(paths: unknown, into: Set<string>): void {
  if (!isObject(paths)) return;
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    for (const operation of Object.values(item)) {
      if (!isObject(operation) || !Array.isArray(operation.security)) continue;
      for (const requirement of operation.security) {
        if (isObject(requirement)) for (const name of Object.keys(requirement)) into.add(name);
      }
    }
  }
}

/** Kratos's document trimmed to `operations`; throws on an operation Kratos does not document. */
export function trimOpenApi(source: Json, operations: readonly string[], listener: Listener): Json {
  const sourcePaths = source.paths as Record<string, Json>;
  const paths: Record<string, Json> = {};
  for (const operation of operations) {
    const [method, path] = operation.split(" ") as [string, string];
    const item = sourcePaths[path];
    const spec = item?.[method.toLowerCase()];
    if (!item || !spec) throw new Error(`Kratos's document has no ${operation}`);
    paths[path] ??= Object.fromEntries(Object.entries(item).filter(([key]) => !HTTP_METHODS.has(key)));
    paths[path][method.toLowerCase()] = spec;
  }
  // Kratos's order (paths sorted), so the generated file reads like the source.
  const sortedPaths = Object.fromEntries(
    Object.keys(paths)
      .sort()
      .map((p) => [p, paths[p]]),
  );
  const usedTags = new Set<string>();
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      if (isObject(operation) && Array.isArray(operation.tags))
        for (const t of operation.tags) usedTags.add(t);
    }
  }
  const info = source.info as Json;
  const { paths: _paths, components: _components, tags, info: _info, ...rest } = source;
  return {
    ...rest,
    info: {
      ...info,
      title: "Tessera: Ory Identities API (the implemented subset)",
      description:
        `The operations Tessera serves on ${LISTENER_TEXT[listener]}, taken from Ory Kratos's OpenAPI ` +
        "document (ory/kratos spec/api.json, Apache-2.0) and trimmed by `npm run openapi`; do not edit by hand.",
    },
    tags: (tags as Json[]).filter((t) => usedTags.has(t.name as string)),
    paths: sortedPaths,
    components: referencedComponents(source, sortedPaths),
  };
}

/** Read, not imported: TypeScript would otherwise type-check a 290 kB literal. */
function kratosDocument(): Json {
  return JSON.parse(readFileSync(join(repositoryRoot, "schemas/kratos-openapi.json"), "utf8")) as Json;
}

export function openApiDocument(listener: Listener): Json {
  return trimOpenApi(kratosDocument(), SERVED_OPERATIONS[listener], listener);
}

/** Both documents' text, by path relative to the repository root. */
export function renderOpenApi(): Map<string, string> {
  return new Map(
    (["public", "admin"] as const).map((listener) => [
      OPENAPI_PATHS[listener],
      formatJson(openApiDocument(listener), OPENAPI_PATHS[listener]),
    ]),
  );
}

if (isMain(import.meta.url)) writeGenerated(renderOpenApi());
