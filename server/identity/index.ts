// The identity-schema engine: registry, validation, extension derivation, applying traits, JSON.
export { createAjv, dialectOf, type SchemaDialect } from "./ajv.ts";
export { applyTraits, protectedFieldsChanged } from "./apply.ts";
export { checkTraits, type TraitsCheck } from "./check.ts";
export { isEmail, isEmailLoose } from "./email.ts";
export { type AddressRef, type DerivedTraits, deriveTraits } from "./extension.ts";
export {
  type AddressVia,
  type ExtensionConfig,
  type ExtensionPlan,
  type ExtensionSite,
  planExtensions,
} from "./extension-plan.ts";
export { normalizeEmail, normalizeIdentifier, normalizePhone } from "./normalize.ts";
export { isPhone } from "./phone.ts";
export {
  type SchemaEntry,
  SchemaLoadError,
  SchemaRegistry,
  type SchemaRegistryOptions,
  schemaUrlId,
} from "./registry.ts";
export { type IdentityJsonOptions, identityToJson } from "./serialize.ts";
export {
  issuesFromAjvErrors,
  pointerToPath,
  type TraitIssue,
  validateDocument,
  validateTraits,
} from "./validate.ts";
