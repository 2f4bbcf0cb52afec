import type { UiText } from "#shared/ui.ts";
import type { FlowIssue } from "../flows/kit/form.ts";
import { message } from "../ui/messages.ts";

/**
 * Per-trait rules written in the identity schema under a vendor key beside `ory.sh/kratos`
 * (which forbids extra keys, so the rules cannot live inside it and the same schema still loads
 * in Kratos, where unknown keywords are ignored):
 *
 *     "nickname": { "type": "string", "tessera.dev/policy": { "read_only": true } }
 *
 * - `read_only`: set at sign-up, never changed by the person afterwards (the settings node is
 *   disabled; a changed value is refused on the field);
 * - `admin_only`: never shown nor writable in self-service (no node, absent from the identity JSON
 *   the person sees, refused on the field when submitted); the admin API is unaffected;
 * - `privileged`: changing it needs a privileged session, like a login identifier;
 * - `verified`: a new email address takes effect only once verified (server/account/address-change.ts).
 * Compiled once per schema at start (server/identity/forms.ts).
 */
export const POLICY_KEY = "tessera.dev/policy";

const RULES = ["read_only", "admin_only", "privileged", "verified"] as const;
export type TraitRule = (typeof RULES)[number];

export interface TraitPolicy {
  /** Node name (`traits.a.b`) → its rules. */
  readonly rules: ReadonlyMap<string, ReadonlySet<TraitRule>>;
  /** Trait paths (segments below `traits`) hidden from self-service. */
  readonly hidden: readonly (readonly string[])[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads the rules of every trait; a malformed policy stops the server at start with the trait's name. */
export function compileTraitPolicy(identitySchema: object): TraitPolicy {
  const rules = new Map<string, Set<TraitRule>>();
  const walk = (schema: unknown, path: string[]) => {
    if (!isObject(schema)) return;
    const declared = schema[POLICY_KEY];
    if (declared !== undefined) {
      const name = ["traits", ...path].join(".");
      if (!isObject(declared))
        throw new Error(`identity schema: "${POLICY_KEY}" of ${name} must be an object`);
      const set = new Set<TraitRule>();
      for (const [key, on] of Object.entries(declared)) {
        if (!(RULES as readonly string[]).includes(key) || typeof on !== "boolean")
          throw new Error(
            `identity schema: "${POLICY_KEY}" of ${name} has "${key}"; allowed: ${RULES.join(", ")} (true or false)`,
          );
        if (on) set.add(key as TraitRule);
      }
      if (set.size > 0) rules.set(name, set);
    }
    if (isObject(schema.properties)) {
      for (const [key, sub] of Object.entries(schema.properties)) walk(sub, [...path, key]);
    }
  };
  const traits = isObject((identitySchema as Json).properties)
    ? ((identitySchema as Json).properties as Json).traits
    : undefined;
  walk(traits, []);
  const hidden = [...rules]
    .filter(([, set]) => set.has("admin_only"))
    .map(([name]) => name.split(".").slice(1));
  return { rules, hidden };
}

/** The value at a trait path (`["name", "first"]`), or undefined where the path leaves the objects. */
export function valueAt(traits: unknown, segments: readonly string[]): unknown {
  let current = traits;
  for (const key of segments) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function setAt(traits: Json, segments: readonly string[], value: unknown): void {
  let current = traits;
  for (const key of segments.slice(0, -1)) {
    if (!isObject(current[key])) current[key] = {};
    current = current[key] as Json;
  }
  current[segments.at(-1)!] = value;
}

function removeAt(traits: Json, segments: readonly string[]): void {
  const parent = valueAt(traits, segments.slice(0, -1));
  if (isObject(parent)) delete parent[segments.at(-1)!];
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as Json);
  const kb = Object.keys(b as Json);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Json)[k], (b as Json)[k]));
}

/** The traits a person may see: admin-only ones removed (a copy; the input is not changed). */
export function visibleTraits(policy: TraitPolicy, traits: Record<string, unknown>): Record<string, unknown> {
  if (policy.hidden.length === 0) return traits;
  const copy = structuredClone(traits);
  for (const segments of policy.hidden) removeAt(copy, segments);
  return copy;
}

function refusal(name: string, rule: "read_only" | "admin_only"): FlowIssue {
  const text: UiText = message(rule === "read_only" ? 4900001 : 4900002, [], { name });
  return { path: name, message: text };
}

/**
 * Checks a self-service submission of traits against the rules. Settings: a read-only or
 * admin-only trait left out keeps its stored value (the person never had a field for it); a
 * changed one is refused on its field. Registration: admin-only traits cannot be submitted.
 * Returns the traits to apply (a copy) and the refusals.
 */
export function guardSubmittedTraits(
  policy: TraitPolicy,
  stage: "registration" | "settings",
  submitted: Record<string, unknown>,
  current: Record<string, unknown> | undefined,
): { traits: Record<string, unknown>; issues: FlowIssue[] } {
  if (policy.rules.size === 0) return { traits: submitted, issues: [] };
  const traits = structuredClone(submitted);
  const issues: FlowIssue[] = [];
  for (const [name, rules] of policy.rules) {
    const locked = rules.has("admin_only")
      ? "admin_only"
      : stage === "settings" && rules.has("read_only")
        ? "read_only"
        : undefined;
    if (!locked) continue;
    const segments = name.split(".").slice(1);
    const sent = valueAt(traits, segments);
    const stored = valueAt(current, segments);
    if (sent === undefined) {
      if (stored !== undefined) setAt(traits, segments, structuredClone(stored));
    } else if (!sameJson(sent, stored)) {
      issues.push(refusal(name, locked));
    }
  }
  return { traits, issues };
}

/** Whether a change touches a trait that needs a privileged session. */
export function privilegedTraitsChanged(
  policy: TraitPolicy,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): boolean {
  for (const [name, rules] of policy.rules) {
    if (!rules.has("privileged")) continue;
    const segments = name.split(".").slice(1);
    if (!sameJson(valueAt(before, segments), valueAt(after, segments))) return true;
  }
  return false;
}
