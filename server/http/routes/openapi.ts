import { readFileSync } from "node:fs";
import type { RequestContext } from "../../request/context.ts";
import { json } from "../respond.ts";
import { route } from "../router.ts";

/**
 * `GET /openapi.json`: the OpenAPI document of what this listener serves (Kratos's, trimmed by
 * `npm run openapi`; schemas/generate/openapi.ts). The admin listener also answers it under
 * `/admin/openapi.json`, as it does every admin path.
 *
 * Read on the first request rather than imported, so TypeScript does not type a 200 kB literal
 * and a server nobody asks for it does not hold it (about 0.4 MiB of heap for both).
 */
function document(listener: "public" | "admin"): unknown {
  return JSON.parse(
    readFileSync(new URL(`../../../schemas/openapi/${listener}.json`, import.meta.url), "utf8"),
  );
}

function serve(listener: "public" | "admin") {
  let body: unknown;
  return (ctx: RequestContext) => {
    body ??= document(listener);
    return json(ctx, 200, body);
  };
}

export const publicOpenApiRoutes = [route("GET", "/openapi.json", serve("public"))];
export const adminOpenApiRoutes = [route("GET", "/openapi.json", serve("admin"))];
