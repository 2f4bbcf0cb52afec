import type { MethodDefinition } from "../../flows/methods.ts";
import { profileSettings } from "./settings.ts";

/** `selfservice.methods.profile`: the traits in the settings flow. */
export const profileMethod: MethodDefinition = {
  id: "profile",
  enabled: (config) => config.raw.selfservice.methods.profile.enabled,
  settings: profileSettings,
};
