import { type Route, route } from "../http/router.ts";

/** `GET /metrics/prometheus` on the admin listener, as Kratos serves it. */
export const metricsRoutes: Route[] = [
  route("GET", "/metrics/prometheus", async (ctx) => {
    const { registry } = ctx.deps.metrics;
    return new Response(await registry.metrics(), {
      headers: { "content-type": registry.contentType, "cache-control": "no-store" },
    });
  }),
];
