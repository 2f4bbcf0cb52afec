import { z } from "zod";
import { continueWith } from "../../shared/flows.ts";
import { identity } from "../../shared/identity.ts";
import { session } from "../../shared/session.ts";

/**
 * Success bodies of the self-service flows, built from the shared wire types (Kratos's
 * `successfulNativeRegistration` / `successfulNativeLogin`; browser flows omit the token). They type
 * the tRPC results; responses are not re-validated at run time (the services build them from the
 * same types).
 */
export const registrationSuccess = z.object({
  identity,
  session: session.optional(),
  session_token: z.string().optional(),
  continue_with: z.array(continueWith),
});
export type RegistrationSuccess = z.infer<typeof registrationSuccess>;

export const loginSuccess = z.object({
  session,
  session_token: z.string().optional(),
  continue_with: z.array(continueWith),
});
export type LoginSuccess = z.infer<typeof loginSuccess>;

const flowTypeInput = z.enum(["browser", "api"]);
const traits = z.record(z.string(), z.unknown());
const transientPayload = z.record(z.string(), z.unknown());

/** `updateRegistrationFlowWithPasswordMethod`. */
export const registrationPasswordBody = z.object({
  method: z.literal("password"),
  password: z.string(),
  traits,
  csrf_token: z.string().optional(),
  transient_payload: transientPayload.optional(),
});

/** `updateLoginFlowWithPasswordMethod`. */
export const loginPasswordBody = z.object({
  method: z.literal("password"),
  identifier: z.string(),
  password: z.string(),
  csrf_token: z.string().optional(),
  transient_payload: transientPayload.optional(),
});

export const createRegistrationInput = z.object({
  type: flowTypeInput,
  returnTo: z.string().optional(),
});

export const createLoginInput = z.object({
  type: flowTypeInput,
  refresh: z.boolean().optional(),
  returnTo: z.string().optional(),
  aal: z.enum(["aal1", "aal2"]).optional(),
});

export const flowIdInput = z.object({ id: z.string() });

export { flowTypeInput, traits, transientPayload };
