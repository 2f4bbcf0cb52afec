import type { Route } from "../router.ts";

export const adminSessionRoutes: Route[] = [];
