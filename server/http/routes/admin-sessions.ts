import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../identity/admin.ts";
import type { RequestContext } from "../../request/context.ts";
import { disableSession, extendSession, getSession, listSessions } from "../../session/admin.ts";
import { empty, json } from "../respond.ts";
import { type Route, route } from "../router.ts";
import { booleanParam, integerParam, linkHeader } from "./admin-identities.ts";

/**
 * Admin session routes (Kratos `/admin/sessions…`): list every session with keyset paging,
 * read one, revoke one, extend one. `expand=identity` / `expand=devices` add those parts, which
 * Kratos's admin API leaves out by default.
 */

const expandOf = (ctx: RequestContext) => ctx.url.searchParams.getAll("expand").filter((e) => e !== "");

async function list(ctx: RequestContext): Promise<Response> {
  const query = ctx.url.searchParams;
  const pageSize = integerParam(query, "page_size");
  const pageToken = query.get("page_token") || undefined;
  const active = booleanParam(query, "active");
  const result = await listSessions(ctx.deps, {
    ...(pageSize !== undefined ? { pageSize } : {}),
    ...(pageToken ? { pageToken } : {}),
    ...(active !== undefined ? { active } : {}),
    expand: expandOf(ctx),
  });
  const size = String(Math.min(pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE));
  const link = linkHeader(ctx, "admin/sessions", {
    first: { page_size: size },
    next: result.nextPageToken ? { page_size: size, page_token: result.nextPageToken } : undefined,
  });
  return json(ctx, 200, result.sessions, { link });
}

export const adminSessionRoutes: Route[] = [
  route("GET", "/sessions", list),
  route("GET", "/sessions/:id", async (ctx, params) =>
    json(ctx, 200, await getSession(ctx.deps, params.id!, { expand: expandOf(ctx) })),
  ),
  route("DELETE", "/sessions/:id", async (ctx, params) => {
    await disableSession(ctx.deps, params.id!);
    return empty(ctx, 204);
  }),
  route("PATCH", "/sessions/:id/extend", async (ctx, params) =>
    json(ctx, 200, await extendSession(ctx.deps, params.id!)),
  ),
];
