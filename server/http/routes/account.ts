import {
  deletionStatus,
  exportOwnData,
  identityHistory,
  ownHistory,
  requestDeletion,
} from "../../account/service.ts";
import { readJsonBody } from "../../request/body.ts";
import { json } from "../respond.ts";
import { route } from "../router.ts";

/** The signed-in person's account: history, export, deletion (docs/account-features.md). */
export const accountRoutes = [
  route("GET", "/self-service/account/history", async (ctx) =>
    json(
      ctx,
      200,
      await ownHistory(ctx.deps, ctx, {
        pageSize: ctx.url.searchParams.get("page_size"),
        before: ctx.url.searchParams.get("before"),
      }),
    ),
  ),
  route("GET", "/self-service/account/export", async (ctx) =>
    json(ctx, 200, await exportOwnData(ctx.deps, ctx), {
      "content-disposition": 'attachment; filename="account-export.json"',
    }),
  ),
  route("GET", "/self-service/account/deletion", async (ctx) =>
    json(ctx, 200, await deletionStatus(ctx.deps, ctx)),
  ),
  // JSON only (readJsonBody refuses other types): a cross-site form cannot schedule a deletion.
  route("POST", "/self-service/account/deletion", async (ctx) =>
    json(ctx, 202, await requestDeletion(ctx.deps, ctx, await readJsonBody(ctx.req))),
  ),
];

/** `GET /admin/identities/{id}/history` on the admin listener. */
export const adminAccountRoutes = [
  route("GET", "/identities/:id/history", async (ctx, params) =>
    json(
      ctx,
      200,
      await identityHistory(ctx.deps, params.id!, {
        pageSize: ctx.url.searchParams.get("page_size"),
        before: ctx.url.searchParams.get("before"),
      }),
    ),
  ),
];
