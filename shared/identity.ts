import { z } from "zod";

export const verifiableAddress = z.object({
  id: z.string(),
  value: z.string(),
  verified: z.boolean(),
  via: z.string(),
  status: z.string(),
  verified_at: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const recoveryAddress = z.object({
  id: z.string(),
  value: z.string(),
  via: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const credentialJson = z.object({
  type: z.string(),
  identifiers: z.array(z.string()),
  config: z.unknown().optional(),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The identity as Kratos serialises it (contract §14.1); admin responses add credentials and metadata_admin. */
export const identity = z.object({
  id: z.string(),
  schema_id: z.string(),
  schema_url: z.string(),
  state: z.enum(["active", "inactive"]),
  state_changed_at: z.string().optional(),
  traits: z.record(z.string(), z.unknown()),
  verifiable_addresses: z.array(verifiableAddress).optional(),
  recovery_addresses: z.array(recoveryAddress).optional(),
  metadata_public: z.unknown(),
  metadata_admin: z.unknown().optional(),
  credentials: z.record(z.string(), credentialJson).optional(),
  external_id: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
  organization_id: z.string().nullable(),
});
export type IdentityJson = z.infer<typeof identity>;
