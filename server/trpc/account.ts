import { z } from "zod";
import { cancelPending, pendingChangeOf, pendingJson } from "../account/address-change.ts";
import {
  DELETION_CONFIRMATION,
  deletionStatus,
  exportOwnData,
  ownHistory,
  requestDeletion,
} from "../account/service.ts";
import { errors } from "../request/errors.ts";
import { procedure, router } from "./init.ts";

const historyInput = z
  .object({ pageSize: z.number().int().optional(), before: z.string().optional() })
  .optional();

/** The same account operations as `/self-service/account/*` (server/http/routes/account.ts). */
export const accountRouter = router({
  /** `GET /self-service/account/history`. */
  history: procedure
    .input(historyInput)
    .query(({ ctx, input }) =>
      ownHistory(ctx.deps, ctx.http, { pageSize: input?.pageSize ?? null, before: input?.before ?? null }),
    ),
  /** `GET /self-service/account/address-change`: the address change waiting for verification. */
  pendingAddressChange: procedure.query(async ({ ctx }) => {
    const active = await ctx.deps.sessions.fromRequest(ctx.http);
    if (!active) throw errors.sessionInactive("No valid session credentials found in the request.");
    const pending = await pendingChangeOf(ctx.deps, active.identity.id);
    return { pending: pending ? pendingJson(pending) : null };
  }),
  /** Cancels it, as the settings flow's `cancel_pending_address` does. */
  cancelPendingAddressChange: procedure.mutation(async ({ ctx }) => {
    const active = await ctx.deps.sessions.fromRequest(ctx.http);
    if (!active) throw errors.sessionInactive("No valid session credentials found in the request.");
    return { cancelled: await cancelPending(ctx.deps, ctx.http, active.identity.id, "settings") };
  }),
  /** `GET /self-service/account/export`. */
  export: procedure.query(({ ctx }) => exportOwnData(ctx.deps, ctx.http)),
  deletion: router({
    /** `GET /self-service/account/deletion`. */
    status: procedure.query(({ ctx }) => deletionStatus(ctx.deps, ctx.http)),
    /** `POST /self-service/account/deletion`. */
    request: procedure
      .input(z.object({ confirm: z.literal(DELETION_CONFIRMATION) }))
      .mutation(({ ctx, input }) => requestDeletion(ctx.deps, ctx.http, input)),
  }),
});
