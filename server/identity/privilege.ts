import type { FullIdentity } from "../../db/store.ts";
import { protectedFieldsChanged } from "./apply.ts";
import { formsOf, type SchemaForms } from "./forms.ts";
import { privilegedTraitsChanged } from "./trait-policy.ts";

/**
 * Whether turning `before` into `after` needs a privileged session: credentials, login identifiers,
 * verifiable or recovery addresses (contract §5.3 step 6), or a trait the schema marks `privileged`.
 */
export function changeNeedsPrivilege(
  deps: { forms: Map<string, SchemaForms> },
  before: FullIdentity,
  after: FullIdentity,
): boolean {
  return (
    protectedFieldsChanged(before, after) ||
    privilegedTraitsChanged(formsOf(deps, before.schemaId).traitPolicy, before.traits, after.traits)
  );
}
