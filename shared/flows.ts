import { z } from "zod";
import { identity } from "./identity.ts";
import { uiContainer } from "./ui.ts";

export const flowType = z.enum(["browser", "api"]);
export type FlowType = z.infer<typeof flowType>;

export const continueWith = z.discriminatedUnion("action", [
  z.object({ action: z.literal("redirect_browser_to"), redirect_browser_to: z.string() }),
  z.object({ action: z.literal("set_ory_session_token"), ory_session_token: z.string() }),
  z.object({
    action: z.literal("show_verification_ui"),
    flow: z.object({ id: z.string(), verifiable_address: z.string(), url: z.string().optional() }),
  }),
  z.object({
    action: z.literal("show_settings_ui"),
    flow: z.object({ id: z.string(), url: z.string().optional() }),
  }),
]);
export type ContinueWith = z.infer<typeof continueWith>;

const flowCommon = {
  id: z.string(),
  type: flowType,
  expires_at: z.string(),
  issued_at: z.string(),
  request_url: z.string(),
  return_to: z.string().optional(),
  active: z.string().optional(),
  ui: uiContainer,
  transient_payload: z.record(z.string(), z.unknown()).optional(),
};

/** The settings flow (contract §2.1). */
export const settingsFlow = z.object({
  ...flowCommon,
  identity: identity,
  state: z.enum(["show_form", "success"]),
  organization_id: z.string().nullable(),
  continue_with: z.array(continueWith).optional(),
});
export type SettingsFlowJson = z.infer<typeof settingsFlow>;

/** The login flow (contract §16.1). */
export const loginFlow = z.object({
  ...flowCommon,
  created_at: z.string(),
  updated_at: z.string(),
  refresh: z.boolean(),
  requested_aal: z.enum(["aal1", "aal2"]),
  state: z.string(),
  organization_id: z.string().nullable().optional(),
});
export type LoginFlowJson = z.infer<typeof loginFlow>;

/** The registration flow (contract §16.2). */
export const registrationFlow = z.object({
  ...flowCommon,
  state: z.string(),
  organization_id: z.string().nullable().optional(),
});
export type RegistrationFlowJson = z.infer<typeof registrationFlow>;
