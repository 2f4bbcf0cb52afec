import { DEFAULT_COURIER_PAGE_SIZE, getCourierMessage, listCourierMessages } from "../../courier/admin.ts";
import type { RequestContext } from "../../request/context.ts";
import { json } from "../respond.ts";
import { type Route, route } from "../router.ts";
import { integerParam, linkHeader } from "./admin-identities.ts";

/**
 * Admin courier routes (Kratos `/admin/courier/messages…`): the queue, newest first, filtered by
 * `status` and `recipient`, keyset-paged with `page_size` / `page_token` and a `Link` header;
 * and one message with its delivery attempts.
 */

async function list(ctx: RequestContext): Promise<Response> {
  const query = ctx.url.searchParams;
  const pageSize = integerParam(query, "page_size");
  const result = await listCourierMessages(ctx.deps, {
    status: query.has("status") ? (query.get("status") ?? "") : undefined,
    recipient: query.get("recipient") || undefined,
    pageSize,
    pageToken: query.get("page_token") || undefined,
  });
  const size = String(Math.min(pageSize ?? DEFAULT_COURIER_PAGE_SIZE, 1000));
  const link = linkHeader(ctx, "admin/courier/messages", {
    first: { page_size: size },
    next: result.nextPageToken ? { page_size: size, page_token: result.nextPageToken } : undefined,
  });
  return json(ctx, 200, result.messages, { link });
}

export const adminCourierRoutes: Route[] = [
  route("GET", "/courier/messages", list),
  route("GET", "/courier/messages/:id", async (ctx, params) =>
    json(ctx, 200, await getCourierMessage(ctx.deps, params.id!)),
  ),
];
