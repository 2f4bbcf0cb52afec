import { z } from "zod";

/**
 * The request objects of the two older API generations Tessera still serves (contract §19, seeds 001
 * and 000): the v0.1 "profile management request" and the v0.2 "settings request". They are views of
 * today's settings flow, built by server/legacy/shapes.ts. Where a seed and the code of that Kratos
 * release disagree the seed's shape is used (docs/legacy.md lists the differences).
 */

/** `{message}`: the only thing an error carried then (no id, no context). */
export const legacyError = z.strictObject({ message: z.string() });
export type LegacyError = z.infer<typeof legacyError>;

/** One form field; `<input name type required value>` plus the field's own errors. */
export const legacyField = z.strictObject({
  name: z.string(),
  type: z.string(),
  required: z.boolean().optional(),
  value: z.unknown().optional(),
  pattern: z.string().optional(),
  disabled: z.boolean().optional(),
  errors: z.array(legacyError).optional(),
});
export type LegacyField = z.infer<typeof legacyField>;

/** A form: the seeds key the fields by name (the code of v0.1.1 sent an array). */
export const legacyForm = z.strictObject({
  action: z.string(),
  method: z.string(),
  fields: z.record(z.string(), legacyField),
  errors: z.array(legacyError).optional(),
});
export type LegacyForm = z.infer<typeof legacyForm>;

/** The identity as v0.1/v0.2 showed it: the schema was a "traits schema". */
export const legacyIdentity = z.strictObject({
  id: z.string(),
  traits_schema_id: z.string(),
  traits_schema_url: z.string(),
  traits: z.unknown(),
});
export type LegacyIdentity = z.infer<typeof legacyIdentity>;

const requestCommon = {
  id: z.string(),
  expires_at: z.string(),
  issued_at: z.string(),
  request_url: z.string(),
  identity: legacyIdentity,
  update_successful: z.boolean(),
};

/** v0.1 `GET /self-service/browser/flows/requests/profile?request=` (seed 001). */
export const legacyProfileRequest = z.strictObject({ ...requestCommon, form: legacyForm });
export type LegacyProfileRequest = z.infer<typeof legacyProfileRequest>;

/** v0.2 `GET /self-service/browser/flows/requests/settings?request=` (seed 000 and v0.2.0 code). */
export const legacySettingsRequest = z.strictObject({
  ...requestCommon,
  active: z.string().optional(),
  methods: z.record(z.string(), z.strictObject({ method: z.string(), config: legacyForm })),
  /** Seed 000 shows the profile form as `form`; the v0.2 code had only `methods`. Both are sent. */
  form: legacyForm,
});
export type LegacySettingsRequest = z.infer<typeof legacySettingsRequest>;
