import { fileURLToPath } from "node:url";
import type { Store } from "../db/store.ts";
import { type Clock, systemClock } from "./clock.ts";
import { resolveConfig } from "./config/resolve.ts";
import type { Config } from "./config/schema.ts";
import { createQueueingCourier } from "./courier/courier.ts";
import { loadEmailTemplates } from "./courier/templates.ts";
import type { AppDeps } from "./deps.ts";
import { ReturnToPolicy } from "./flows/kit/return-to.ts";
import type { MethodRegistry } from "./flows/methods.ts";
import { withCors } from "./http/cors.ts";
import { adminRestRoutes, publicRestRoutes, withoutAdminPrefix } from "./http/handlers.ts";
import { compileAllForms } from "./identity/forms.ts";
import { SchemaRegistry } from "./identity/registry.ts";
import { legacyAdminRoutes, legacyPublicRoutes } from "./legacy/routes.ts";
import type { Logger } from "./logger.ts";
import { createHasher, type PasswordHasher } from "./methods/password/hasher.ts";
import { createPasswordPolicy } from "./methods/password/policy.ts";
import { defaultMethods } from "./methods/registry.ts";
import { createAudit } from "./observe/audit.ts";
import { loggerFor } from "./observe/log-format.ts";
import { createMetrics, timedCalls } from "./observe/metrics.ts";
import { metricsRoutes } from "./observe/metrics-route.ts";
import { redactionOf } from "./observe/redact.ts";
import { observeRequests } from "./observe/requests.ts";
import { pageRoutes } from "./pages/routes.ts";
import { sha256Hex } from "./request/base64.ts";
import { serveRoutes } from "./serve.ts";
import { createLucia } from "./session/lucia.ts";
import { SessionService } from "./session/service.ts";
import { adminRouter } from "./trpc/admin.ts";
import { trpcRoutes } from "./trpc/handler.ts";
import { publicRouter } from "./trpc/public.ts";

export interface App {
  /** Handler for the public listener (self-service, sessions, schemas, tRPC). */
  public: (req: Request) => Promise<Response>;
  /** Handler for the admin listener (identities, sessions, admin tRPC). */
  admin: (req: Request) => Promise<Response>;
  deps: AppDeps;
}

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
  /** The methods the flows offer; tests register extra ones (default: server/methods/registry.ts). */
  methods?: MethodRegistry;
  /** Used for outbound HTTP (breached-password range API, web hooks); tests may pass their own. */
  fetch?: typeof fetch;
  /** Replaces the configured password hasher (tests hold a write at the hash with it). */
  hasher?: PasswordHasher;
  /** Export the process's metrics (CPU, memory, event loop) too; the server does, tests do not. */
  processMetrics?: boolean;
}

export const BUILT_IN_SCHEMA = fileURLToPath(
  new URL("../schemas/default.identity.schema.json", import.meta.url),
);

/** Wires config, store, clock and logger into the two fetch handlers. No module-level state. */
export async function createApp(rawConfig: Config, rawStore: Store, options: AppOptions = {}): Promise<App> {
  const config = resolveConfig(rawConfig);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? loggerFor(rawConfig);
  const redaction = redactionOf(rawConfig.log);
  const metrics = createMetrics({ store: rawStore, ...(options.processMetrics ? { process: true } : {}) });
  // Timed at the boundary, so every store call and every hash is measured without touching them.
  const store = timedCalls(rawStore, metrics.storeTimer);
  const hasher = timedCalls(options.hasher ?? createHasher(rawConfig.hashers), metrics.hashTimer, (name) =>
    ["hash", "verify", "dummyVerify"].includes(name),
  );
  const registry = await SchemaRegistry.load(rawConfig.identity.schemas, {
    defaultSchemaId: rawConfig.identity.default_schema_id,
    builtInDefault: BUILT_IN_SCHEMA,
  });
  const forms = compileAllForms(registry);
  const deps: AppDeps = {
    config,
    store,
    clock,
    logger,
    registry,
    forms,
    methods: options.methods ?? defaultMethods(),
    hasher,
    policy: createPasswordPolicy(rawConfig.selfservice.methods.password.config, {
      clock,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    sessions: new SessionService({ store, clock, config, forms }, createLucia(store, config)),
    returnTo: new ReturnToPolicy(
      [
        ...rawConfig.selfservice.allowed_return_urls,
        config.defaultReturnUrl,
        new URL("ui/", config.publicBase).toString(),
      ],
      config.publicBase,
      config.defaultReturnUrl,
    ),
    courier: createQueueingCourier(
      store,
      clock,
      (await loadEmailTemplates(rawConfig.courier, options.fetch ? { fetch: options.fetch } : {})).render,
    ),
    fetch: options.fetch ?? globalThis.fetch,
    csrfCookieName: `csrf_token_${await sha256Hex(config.publicBase)}`,
    metrics,
    audit: createAudit(logger, redaction),
  };
  // The v0.1/v0.2 APIs (contract §19) are one more door over the same services, on unless switched off.
  const legacy = rawConfig.legacy.enabled;
  const observation = { logger, metrics, redaction };
  return {
    // Three doors over the same flow services: REST (Kratos's API), tRPC and the built-in pages.
    public: observeRequests(
      "public",
      observation,
      withCors(
        rawConfig.serve.public.cors,
        serveRoutes(deps, [
          ...publicRestRoutes(),
          ...(legacy ? legacyPublicRoutes() : []),
          ...trpcRoutes(publicRouter),
          ...pageRoutes,
        ]),
      ),
    ),
    admin: observeRequests(
      "admin",
      observation,
      serveRoutes(
        deps,
        [
          ...adminRestRoutes(),
          ...(legacy ? legacyAdminRoutes() : []),
          ...trpcRoutes(adminRouter),
          ...metricsRoutes,
        ],
        { rewrite: withoutAdminPrefix, auditPerRequest: true },
      ),
    ),
    deps,
  };
}
