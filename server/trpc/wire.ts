import { z } from "zod";
import { continueWith } from "#shared/flows.ts";
import { identity } from "#shared/identity.ts";
import { session } from "#shared/session.ts";

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

/**
 * A submission body typed by its zod schema but checked by the flow service, exactly as the REST
 * route's decoded JSON body is. A wrong `method`, a missing field or a mistyped value then gives the
 * same flow with the same node messages through both doors, never a tRPC-only BAD_REQUEST; the
 * schema gives TypeScript callers the types.
 */
export const checkedByService = <S extends z.ZodType>(_schema: S) => z.custom<z.input<S>>();

const flowTypeInput = z.enum(["browser", "api"]);
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

export {
  loginPasswordBody,
  registrationPasswordBody,
  traits,
  transientPayload,
} from "#shared/bodies.ts";
export { flowTypeInput };
