import type { Store } from "../db/store.ts";
import type { Clock } from "./clock.ts";
import type { ResolvedConfig } from "./config/resolve.ts";
import type { Courier } from "./courier/courier.ts";
import type { ReturnToPolicy } from "./flows/kit/return-to.ts";
import type { MethodRegistry } from "./flows/methods.ts";
import type { SchemaForms } from "./identity/forms.ts";
import type { SchemaRegistry } from "./identity/registry.ts";
import type { Logger } from "./logger.ts";
import type { PasswordHasher } from "./methods/password/hasher.ts";
import type { PasswordPolicy } from "./methods/password/policy.ts";
import type { Audit } from "./observe/audit.ts";
import type { Metrics } from "./observe/metrics.ts";
import type { SessionService } from "./session/service.ts";

/** Everything a request handler may use; built once by createApp, never module-level state. */
export interface AppDeps {
  config: ResolvedConfig;
  store: Store;
  clock: Clock;
  logger: Logger;
  registry: SchemaRegistry;
  /** Per identity schema: node templates, key order and payload decoders, compiled at start. */
  forms: Map<string, SchemaForms>;
  /** The methods and the flows each implements (server/methods/registry.ts). */
  methods: MethodRegistry;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  sessions: SessionService;
  returnTo: ReturnToPolicy;
  /** Queues mail (verification, recovery); a dispatcher sends it. */
  courier: Courier;
  /** Outbound HTTP (web hooks); injectable for tests. */
  fetch: typeof fetch;
  /** `csrf_token_<sha256 hex of the public base URL>` (contract §9.1). */
  csrfCookieName: string;
  /** This app's Prometheus registry and recorders (server/observe/metrics.ts). */
  metrics: Metrics;
  /** Audit lines: sign-up, sign-in, settings changes, revocations, admin changes (observe/audit.ts). */
  audit: Audit;
}
