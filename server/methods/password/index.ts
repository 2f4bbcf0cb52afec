import type { MethodDefinition } from "../../flows/methods.ts";
import { passwordLogin } from "./login.ts";
import { passwordRegistration } from "./registration.ts";
import { passwordSettings } from "./settings.ts";

/** `selfservice.methods.password`: sign in, sign up and change the password. */
export const passwordMethod: MethodDefinition = {
  id: "password",
  enabled: (config) => config.raw.selfservice.methods.password.enabled,
  login: passwordLogin,
  registration: passwordRegistration,
  settings: passwordSettings,
};
