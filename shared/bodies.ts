import { z } from "zod";

/**
 * The submission bodies of the self-service flows (Kratos's `updateSettingsFlowWith*Method`,
 * `updateLoginFlowWithPasswordMethod`, `updateRegistrationFlowWithPasswordMethod`): the one zod
 * source for them. tRPC types its `submit` inputs with these, and the JSON payload schemas the
 * REST decoder types form values by (schemas/payloads/*.json) are generated from them by
 * `npm run payload:schemas` (shared/payloads.ts says how each payload derives from its body).
 *
 * The flow services check a body, not zod: constraints here (`min(1)`, required keys) are what the
 * generated payload schemas declare, and what TypeScript callers see.
 */

export const traits = z.record(z.string(), z.unknown());
export const transientPayload = z.record(z.string(), z.unknown());
const csrfToken = z.string();

/** `updateSettingsFlowWithProfileMethod`. */
export const settingsProfileBody = z.object({
  method: z.literal("profile"),
  traits,
  csrf_token: csrfToken.optional(),
  transient_payload: transientPayload.optional(),
});

/** `updateSettingsFlowWithPasswordMethod`. An empty password counts as missing, as in Kratos. */
export const settingsPasswordBody = z.object({
  method: z.literal("password"),
  password: z.string().min(1),
  csrf_token: csrfToken.optional(),
  transient_payload: transientPayload.optional(),
});

/**
 * `updateSettingsFlowWithOidcMethod`: link or unlink a provider (server/methods/oidc/settings.ts).
 */
export const settingsOidcBody = z.object({
  method: z.literal("oidc"),
  link: z.string().optional(),
  csrf_token: csrfToken.optional(),
  unlink: z.string().optional(),
  traits: z.unknown().optional().meta({
    description:
      "This field will be overwritten in registration.go's decoder() method. Do not add anything to this field as it has no effect.",
  }),
  upstream_parameters: z
    .strictObject({
      hd: z.string().optional().meta({
        description:
          "The hd (hosted domain) parameter streamlines the login process for G Suite hosted accounts. By including the domain of the G Suite user (for example, mycollege.edu), you can indicate that the account selection UI should be optimized for accounts at that domain.",
      }),
      prompt: z.string().optional().meta({
        description:
          "The prompt specifies whether the Authorization Server prompts the End-User for reauthentication and consent (for example, select_account).",
      }),
      acr_values: z.string().optional().meta({
        description:
          "The `acr_values` parameter specifies the Authentication Context Class Reference values for the authorization request.",
      }),
    })
    .optional()
    .meta({
      $comment:
        "Only the defined parameters are allowed. This is to prevent users from sending arbitrary parameters or craft URLs that cause unexpected behavior.",
    }),
  transient_payload: transientPayload.optional(),
});

/** The settings body: a union keyed by `method` (the methods Tessera serves). */
export const settingsBody = z.discriminatedUnion("method", [
  settingsProfileBody,
  settingsPasswordBody,
  settingsOidcBody,
]);
export type SettingsBody = z.infer<typeof settingsBody>;

/** `updateRegistrationFlowWithPasswordMethod`. */
export const registrationPasswordBody = z.object({
  method: z.literal("password"),
  password: z.string(),
  traits,
  csrf_token: csrfToken.optional(),
  transient_payload: transientPayload.optional(),
});

/** `updateLoginFlowWithPasswordMethod`. */
export const loginPasswordBody = z.object({
  method: z.literal("password"),
  identifier: z.string(),
  password: z.string(),
  csrf_token: csrfToken.optional(),
  transient_payload: transientPayload.optional(),
});
