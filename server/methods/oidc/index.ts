import type { MethodDefinition } from "../../flows/methods.ts";
import { linkAfterLogin } from "./account-linking.ts";
import { oidcLogin } from "./login.ts";
import { oidcRegistration } from "./registration.ts";
import { oidcSettings } from "./settings.ts";

/** `selfservice.methods.oidc`: sign in and sign up with OpenID providers, link and unlink them. */
export const oidcMethod: MethodDefinition = {
  id: "oidc",
  enabled: (config) => config.raw.selfservice.methods.oidc.enabled,
  login: oidcLogin,
  registration: oidcRegistration,
  settings: oidcSettings,
  onLogin: linkAfterLogin,
};
