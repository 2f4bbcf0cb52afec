import type { Route } from "../router.ts";

export const adminIdentityRoutes: Route[] = [];
