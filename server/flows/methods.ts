import type { FlowRecord, FullIdentity } from "../../db/store.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import type { AppDeps } from "../deps.ts";
import type { LoginStrategy } from "./login/strategy.ts";
import type { RecoveryStrategy } from "./recovery/strategy.ts";
import type { RegistrationStrategy } from "./registration/strategy.ts";
import type { SettingsStrategy } from "./settings/strategy.ts";
import type { VerificationStrategy } from "./verification/strategy.ts";

/**
 * One method (profile, password, later oidc, code, totp, …) and the flows it takes part in: the
 * flows × methods matrix of the design, as data. A method lives in `server/methods/<id>/`; the
 * flow engines loop over the registry (Kratos's strategies) and never name a method.
 */
export interface MethodDefinition {
  readonly id: string;
  /** Whether the configuration switches the method on (`selfservice.methods.<id>.enabled`). */
  enabled(config: ResolvedConfig): boolean;
  readonly settings?: SettingsStrategy;
  readonly login?: LoginStrategy;
  readonly registration?: RegistrationStrategy;
  /** Verification and recovery pick one method by `selfservice.flows.<flow>.use`, not per submission. */
  readonly verification?: VerificationStrategy;
  readonly recovery?: RecoveryStrategy;
  /**
   * Submissions that name this method while it has no strategy for the flow, or is switched off,
   * are answered as for a disabled method (404) rather than "no method" (contract §4.4.1 step 6).
   */
  claims?(values: Map<string, string[]>): boolean;
  /**
   * Runs when a login flow authenticated an identity, before the session is issued: the method may
   * change the identity (OIDC account linking adds the provider the person came with).
   */
  onLogin?(deps: AppDeps, flow: FlowRecord, identity: FullIdentity): Promise<FullIdentity>;
}

export type MethodRegistry = readonly MethodDefinition[];

export type FlowStrategies = {
  settings: SettingsStrategy;
  login: LoginStrategy;
  registration: RegistrationStrategy;
};

/** The enabled methods' strategies for a flow, in registry order. */
export function strategiesOf<K extends keyof FlowStrategies>(
  methods: MethodRegistry,
  config: ResolvedConfig,
  flow: K,
): FlowStrategies[K][] {
  const out: FlowStrategies[K][] = [];
  for (const m of methods) {
    const strategy = m[flow] as FlowStrategies[K] | undefined;
    if (strategy && m.enabled(config)) out.push(strategy);
  }
  return out;
}

/**
 * Which method a submission is for: the enabled strategy that handles it, "disabled" when it names
 * a method that is off or cannot take part in this flow, or undefined when it names none.
 */
export function dispatch<K extends keyof FlowStrategies>(
  methods: MethodRegistry,
  config: ResolvedConfig,
  flow: K,
  values: Map<string, string[]>,
): FlowStrategies[K] | "disabled" | undefined {
  for (const m of methods) {
    const strategy = m[flow] as
      | (FlowStrategies[K] & { handles(v: Map<string, string[]>): boolean })
      | undefined;
    const named = strategy ? strategy.handles(values) : (m.claims?.(values) ?? false);
    if (!named) continue;
    return strategy && m.enabled(config) ? strategy : "disabled";
  }
  return undefined;
}

/**
 * The method verification or recovery uses (`selfservice.flows.<flow>.use`), or "disabled" when
 * that method is switched off (Kratos answers its endpoints with a 404 then).
 */
export function activeStrategyOf<K extends "verification" | "recovery">(
  methods: MethodRegistry,
  config: ResolvedConfig,
  flow: K,
): NonNullable<MethodDefinition[K]> | "disabled" {
  const use = config.raw.selfservice.flows[flow].use;
  const m = methods.find((d) => d.id === use && d[flow]);
  if (!m?.enabled(config)) return "disabled";
  return m[flow] as NonNullable<MethodDefinition[K]>;
}
