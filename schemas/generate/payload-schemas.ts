import { z } from "zod";
import { settingsOidcBody, settingsPasswordBody, settingsProfileBody } from "#shared/bodies.ts";
import { formatJson, isMain, writeGenerated } from "./format-json.ts";

/**
 * Generates schemas/payloads/*.json, the payload schemas the REST decoder types form values by
 * (server/decoding/payload.ts), from the submission bodies in shared/bodies.ts. Run with
 * `npm run payload:schemas`; tests/schemas/generated.test.ts fails when the committed files drift.
 *
 * A payload schema is its body as Kratos's decoder sees it:
 * - `method` is any string, not the body's literal: the method was chosen before decoding, and
 *   Kratos's payload schemas type it so (the OIDC one leaves it out);
 * - the profile payload's `traits` is an untyped, required placeholder that profilePayloadSchema
 *   replaces with the identity schema's traits at run time, and it keeps Kratos's `action` field;
 * - `io: "input"` keeps zod from closing the root object (`additionalProperties: false`): Kratos's
 *   payloads accept undeclared keys, which the decoder drops;
 * - `$id` is Kratos's, added after zod, so each file still says which Kratos schema it stands for.
 * zod renders `transient_payload` (a string-keyed record) as `propertyNames` + `additionalProperties:
 * {}`, which accepts exactly what Kratos's `additionalProperties: true` does.
 */

const anyMethod = z.string().optional();

interface PayloadSource {
  readonly id: string;
  readonly schema: z.ZodType;
}

export const PAYLOAD_SOURCES: ReadonlyMap<string, PayloadSource> = new Map([
  [
    "schemas/payloads/payload-profile-settings.schema.json",
    {
      id: "https://schemas.ory.sh/kratos/selfservice/strategy/profile/settings.schema.json",
      schema: settingsProfileBody.extend({
        method: anyMethod,
        traits: z.unknown(),
        action: z.string().optional(),
      }),
    },
  ],
  [
    "schemas/payloads/payload-password-settings.schema.json",
    {
      id: "https://schemas.ory.sh/kratos/selfservice/strategy/password/settings.schema.json",
      schema: settingsPasswordBody.extend({ method: anyMethod }),
    },
  ],
  [
    "schemas/payloads/payload-oidc-settings.schema.json",
    {
      id: "https://schemas.ory.sh/kratos/selfservice/strategy/oidc/.schema/settings.schema.json",
      schema: settingsOidcBody.omit({ method: true }),
    },
  ],
]);

export function payloadJsonSchema(source: PayloadSource): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(source.schema, { target: "draft-7", io: "input" });
  return { $id: source.id, $schema, ...rest };
}

/** Every payload schema file's text, by path relative to the repository root. */
export function renderPayloadSchemas(): Map<string, string> {
  return new Map(
    [...PAYLOAD_SOURCES].map(([path, source]) => [path, formatJson(payloadJsonSchema(source), path)]),
  );
}

if (isMain(import.meta.url)) writeGenerated(renderPayloadSchemas());
