import {
  checkRevertToken,
  pendingChangeOf,
  pendingJson,
  revertAddressChange,
  revertRefusal,
} from "../../account/address-change.ts";
import {
  deletionStatus,
  exportOwnData,
  identityHistory,
  ownHistory,
  requestDeletion,
} from "../../account/service.ts";
import { revertConfirmPage, revertDonePage } from "../../pages/address-change-page.ts";
import { readBody, readJsonBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
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

/** The token of a revert POST: a form field (the confirmation page) or JSON `{"token": …}`. */
async function revertToken(ctx: RequestContext): Promise<string | null> {
  const body = await readBody(ctx.req);
  if (body.kind === "form") return body.values.get("token")?.[0] ?? null;
  const token = (body.value as { token?: unknown } | null)?.token;
  return typeof token === "string" ? token : null;
}

/** Address changes (docs/account-features.md, "Pending address changes"). */
export const addressChangeRoutes = [
  route("GET", "/self-service/account/address-change", async (ctx) => {
    const active = await ctx.deps.sessions.fromRequest(ctx);
    if (!active) throw errors.sessionInactive("No valid session credentials found in the request.");
    const pending = await pendingChangeOf(ctx.deps, active.identity.id);
    return json(ctx, 200, { pending: pending ? pendingJson(pending) : null });
  }),
  // GET never changes anything (mail scanners open links): a page with a button, or for JSON
  // callers what the link would do.
  route("GET", "/self-service/account/address-change/revert", async (ctx) => {
    const token = ctx.url.searchParams.get("token");
    if (!ctx.acceptsJson) return revertConfirmPage(ctx, token);
    const check = await checkRevertToken(ctx.deps, token);
    if (!check.ok) throw revertRefusal(check.reason);
    return json(ctx, 200, { state: check.change.status, expires_at: check.change.revertExpiresAt });
  }),
  route("POST", "/self-service/account/address-change/revert", async (ctx) => {
    const token = await revertToken(ctx);
    if (!ctx.acceptsJson && !ctx.isJson) return revertDonePage(ctx, token);
    return json(ctx, 200, await revertAddressChange(ctx.deps, ctx, token));
  }),
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
