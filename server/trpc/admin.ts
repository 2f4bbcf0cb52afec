import { router } from "./init.ts";

/**
 * The admin tRPC router (admin listener, `/trpc/*` or `/admin/trpc/*`). IDENTITIES — reserved for the
 * admin identity service (server/identity/admin.ts, being written): create/get/list/update/patch/delete.
 */
export const adminRouter = router({});

export type AdminRouter = typeof adminRouter;
