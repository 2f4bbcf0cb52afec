import {
  compilePayloadDecoder,
  type PayloadDecoder,
  passwordPayloadSchema,
  profilePayloadSchema,
} from "../decoding/payload.ts";
import { compileProfileNodes, type ProfileNodeTemplate, schemaKeyOrder } from "../ui/profile-nodes.ts";
import type { SchemaEntry, SchemaRegistry } from "./registry.ts";
import { compileTraitPolicy, type TraitPolicy } from "./trait-policy.ts";

/** Everything the flows need from one identity schema, computed once at start. */
export interface SchemaForms {
  entry: SchemaEntry;
  /** Per-trait rules (read-only, admin-only, privileged) from the schema's vendor key. */
  traitPolicy: TraitPolicy;
  /** Settings: admin-only traits left out, read-only ones disabled. */
  profileNodes: ProfileNodeTemplate;
  /** Registration: admin-only traits left out. */
  registrationNodes: ProfileNodeTemplate;
  /** Leaf keys in document order, for node sorting (contract §3.6). */
  keyOrder: string[];
  /** Decodes profile submissions (traits, method, csrf_token, transient_payload). */
  profileDecoder: PayloadDecoder;
  /** Decodes one-step password registrations (the profile payload plus `password`). */
  registrationDecoder: PayloadDecoder;
  /** Title of the first password-identifier trait, used to label the login identifier. */
  identifierTitle: string | undefined;
}

function identifierTitleOf(entry: SchemaEntry): string | undefined {
  const site = entry.extensions.sites.find((s) => s.config.credentials?.password?.identifier);
  if (!site) return undefined;
  let node = (entry.raw.properties as Record<string, unknown> | undefined)?.traits as
    | Record<string, unknown>
    | undefined;
  for (const segment of site.path) {
    node = (node?.properties as Record<string, Record<string, unknown>> | undefined)?.[segment];
  }
  return typeof node?.title === "string" ? node.title : undefined;
}

function compileForms(entry: SchemaEntry): SchemaForms {
  const profilePayload = profilePayloadSchema(entry.raw);
  const registrationPayload = structuredClone(profilePayload);
  (registrationPayload.properties as Record<string, unknown>).password = { type: "string" };
  const traitPolicy = compileTraitPolicy(entry.raw);
  const has = (rule: "read_only" | "admin_only") => (name: string) =>
    traitPolicy.rules.get(name)?.has(rule) ?? false;
  return {
    entry,
    traitPolicy,
    profileNodes: compileProfileNodes(entry.raw, { hidden: has("admin_only"), disabled: has("read_only") }),
    registrationNodes: compileProfileNodes(entry.raw, { hidden: has("admin_only") }),
    keyOrder: schemaKeyOrder(entry.raw),
    profileDecoder: compilePayloadDecoder(profilePayload),
    registrationDecoder: compilePayloadDecoder(registrationPayload),
    identifierTitle: identifierTitleOf(entry),
  };
}

export const passwordDecoder: PayloadDecoder = compilePayloadDecoder(passwordPayloadSchema());

/** Precomputes forms for every registered schema. */
export function compileAllForms(registry: SchemaRegistry): Map<string, SchemaForms> {
  return new Map(registry.ids().map((id) => [id, compileForms(registry.get(id)!)]));
}

/** The forms of an identity's schema; every registered schema has them (compiled at start). */
export function formsOf(deps: { forms: Map<string, SchemaForms> }, schemaId: string): SchemaForms {
  const forms = deps.forms.get(schemaId);
  if (!forms) throw new Error(`identity schema "${schemaId}" is not registered`);
  return forms;
}
