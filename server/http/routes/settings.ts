import type { Route } from "../router.ts";

/** The settings flow's REST routes (contract §4); filled in by the settings flow work. */
export const settingsRoutes: Route[] = [];
