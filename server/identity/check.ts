import { type DerivedTraits, deriveTraits } from "./extension.ts";
import type { SchemaEntry } from "./registry.ts";
import { type TraitIssue, validateTraits } from "./validate.ts";

export interface TraitsCheck {
  /** Schema errors, then extension errors on paths the schema did not already flag. */
  issues: TraitIssue[];
  derived: DerivedTraits;
}

/**
 * Kratos's "identity validation": the traits schema plus the extension in one pass. An extension
 * error on a path that already failed the schema (e.g. "Enter a valid email address" from the
 * `email` format) would only repeat it, so it is left out.
 */
export function checkTraits(entry: SchemaEntry, traits: unknown): TraitsCheck {
  const issues = validateTraits(entry, traits);
  const derived = deriveTraits(entry, traits);
  if (derived.issues.length > 0) {
    const flagged = new Set(issues.map((issue) => issue.path));
    for (const issue of derived.issues) if (!flagged.has(issue.path)) issues.push(issue);
  }
  return { issues, derived };
}
