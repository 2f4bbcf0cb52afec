import { z } from "zod";

/**
 * Wire types of the admin identity API's request bodies (Kratos's `createIdentityBody`,
 * `updateIdentityBody` and `jsonPatchDocument`). The REST routes and the admin tRPC router both
 * hand raw input to `server/identity/admin.ts`, which parses it with these schemas, so the two
 * doors accept exactly the same bodies and word their errors the same way.
 *
 * Objects are strict: a misspelt key is a 400 naming it, not a silently ignored field (Kratos
 * decodes the create body with a strict decoder too). Every key of Kratos's OpenAPI models is
 * known, because the official SDK serialises all of them; features Tessera does not have
 * (organizations, regions, MFA imports) are accepted by the schema and refused, with a reason, by
 * the service. Go decodes `null` into a zero value, so optional fields accept `null` as "unset".
 */

export const identityStateSchema = z.enum(["active", "inactive"]);

/** Credential types Kratos knows; `include_credential` and credential deletion take these. */
export const credentialTypeSchema = z.enum([
  "password",
  "oidc",
  "totp",
  "lookup_secret",
  "webauthn",
  "code",
  "passkey",
  "profile",
  "saml",
  "deviceauthn",
  "identifier_first",
  "link_recovery",
  "code_recovery",
]);
export type KratosCredentialType = z.infer<typeof credentialTypeSchema>;

export const passwordImportSchema = z.strictObject({
  config: z.strictObject({
    /** Plaintext: checked against the password policy and hashed by the server. */
    password: z.string().nullish(),
    /** A PHC/crypt hash (bcrypt, argon2) imported as is. */
    hashed_password: z.string().nullish(),
    use_password_migration_hook: z.boolean().nullish(),
  }),
});

export const oidcImportProviderSchema = z.strictObject({
  provider: z.string().min(1),
  subject: z.string().min(1),
  use_auto_link: z.boolean().nullish(),
  organization: z.string().nullish(),
});

export const oidcImportSchema = z.strictObject({
  config: z.strictObject({ providers: z.array(oidcImportProviderSchema) }),
});

/** Known to Kratos, not implemented by Tessera: accepted here, refused by the service. */
const unsupportedImport = z.unknown().optional();

export const credentialsImportSchema = z.strictObject({
  password: passwordImportSchema.nullish(),
  oidc: oidcImportSchema.nullish(),
  totp: unsupportedImport,
  lookup_secret: unsupportedImport,
  webauthn: unsupportedImport,
  passkey: unsupportedImport,
  saml: unsupportedImport,
});
export type CredentialsImport = z.infer<typeof credentialsImportSchema>;

/** An address to import with its verification state; it must also be derivable from the traits. */
export const verifiableAddressImportSchema = z.strictObject({
  id: z.string().nullish(),
  value: z.string(),
  via: z.enum(["email", "sms"]),
  verified: z.boolean(),
  status: z.enum(["pending", "sent", "completed"]),
  verified_at: z.iso.datetime({ offset: true }).nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type VerifiableAddressImport = z.infer<typeof verifiableAddressImportSchema>;

export const recoveryAddressImportSchema = z.strictObject({
  id: z.string().nullish(),
  value: z.string(),
  via: z.enum(["email", "sms"]),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  break_glass_for_organization: z.string().nullish(),
});

const traitsSchema = z.record(z.string(), z.unknown());

/** `POST /admin/identities` (OpenAPI `createIdentityBody`). */
export const createIdentityBodySchema = z.strictObject({
  /** Defaults to `identity.default_schema_id`. */
  schema_id: z.string().nullish(),
  traits: traitsSchema,
  state: identityStateSchema.nullish(),
  metadata_public: z.unknown().optional(),
  metadata_admin: z.unknown().optional(),
  external_id: z.string().nullish(),
  verifiable_addresses: z.array(verifiableAddressImportSchema).nullish(),
  recovery_addresses: z.array(recoveryAddressImportSchema).nullish(),
  credentials: credentialsImportSchema.nullish(),
  /** Tessera has no organizations: only null is accepted. */
  organization_id: z.string().nullish(),
  /** Ory Network only; ignored. */
  region: z.string().nullish(),
});
export type CreateIdentityBody = z.infer<typeof createIdentityBodySchema>;

/**
 * `PUT /admin/identities/{id}` (OpenAPI `updateIdentityBody`). Kratos documents the body as "the
 * full identity payload (except credentials)", so the read-only fields of the identity JSON are
 * tolerated and ignored: a client may GET an identity, change it and PUT it back.
 */
export const updateIdentityBodySchema = z.strictObject({
  schema_id: z.string().nullish(),
  traits: traitsSchema,
  state: identityStateSchema.nullish(),
  metadata_public: z.unknown().optional(),
  metadata_admin: z.unknown().optional(),
  external_id: z.string().nullish(),
  credentials: credentialsImportSchema.nullish(),
  region: z.string().nullish(),
  // Read-only identity fields, ignored.
  id: z.unknown().optional(),
  schema_url: z.unknown().optional(),
  state_changed_at: z.unknown().optional(),
  verifiable_addresses: z.unknown().optional(),
  recovery_addresses: z.unknown().optional(),
  organization_id: z.unknown().optional(),
  created_at: z.unknown().optional(),
  updated_at: z.unknown().optional(),
});
export type UpdateIdentityBody = z.infer<typeof updateIdentityBodySchema>;

/** One RFC 6902 operation; fast-json-patch checks the per-operation rules (value, from). */
export const jsonPatchOperationSchema = z.object({
  op: z.enum(["add", "remove", "replace", "move", "copy", "test"]),
  path: z.string(),
  from: z.string().optional(),
  value: z.unknown().optional(),
});
export type JsonPatchOperation = z.infer<typeof jsonPatchOperationSchema>;

/** `PATCH /admin/identities/{id}` (OpenAPI `jsonPatchDocument`). */
export const jsonPatchDocumentSchema = z.array(jsonPatchOperationSchema);

/**
 * The admin identity JSON after a JSON Patch was applied to it: what may change is read back,
 * read-only fields are ignored (patches touching them are refused beforehand), and any other key
 * a patch added is an error.
 */
export const patchedIdentitySchema = z.strictObject({
  schema_id: z.string(),
  traits: traitsSchema,
  state: identityStateSchema,
  metadata_public: z.unknown().optional(),
  metadata_admin: z.unknown().optional(),
  external_id: z.string().nullish(),
  verifiable_addresses: z.array(verifiableAddressImportSchema).nullish(),
  recovery_addresses: z.array(recoveryAddressImportSchema).nullish(),
  organization_id: z.string().nullish(),
  // Read-only identity fields, ignored.
  id: z.unknown().optional(),
  credentials: z.unknown().optional(),
  schema_url: z.unknown().optional(),
  state_changed_at: z.unknown().optional(),
  created_at: z.unknown().optional(),
  updated_at: z.unknown().optional(),
});
export type PatchedIdentity = z.infer<typeof patchedIdentitySchema>;
