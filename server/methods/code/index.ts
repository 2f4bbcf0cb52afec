import type { MethodDefinition } from "../../flows/methods.ts";
import { codeRecovery } from "./recovery.ts";
import { codeVerification } from "./verification.ts";

/** `selfservice.methods.code`: one-time codes by mail for verification and recovery. */
export const codeMethod: MethodDefinition = {
  id: "code",
  enabled: (config) => config.raw.selfservice.methods.code.enabled,
  verification: codeVerification,
  recovery: codeRecovery,
};
