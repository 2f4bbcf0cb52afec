import type { MethodDefinition } from "../../flows/methods.ts";
import { linkRecovery } from "./recovery.ts";
import { linkVerification } from "./verification.ts";

/** `selfservice.methods.link`: mailed links for verification and recovery (Kratos's older method). */
export const linkMethod: MethodDefinition = {
  id: "link",
  enabled: (config) => config.raw.selfservice.methods.link.enabled,
  verification: linkVerification,
  recovery: linkRecovery,
};
