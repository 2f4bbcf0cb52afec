import type { MethodRegistry } from "../flows/methods.ts";
import { codeMethod } from "./code/index.ts";
import { linkMethod } from "./link/index.ts";
import { oidcMethod } from "./oidc/index.ts";
import { passwordMethod } from "./password/index.ts";
import { profileMethod } from "./profile/index.ts";

/** Every method Tessera has, in the order their nodes appear (Kratos's strategy order). */
export function defaultMethods(): MethodRegistry {
  return [profileMethod, passwordMethod, oidcMethod, codeMethod, linkMethod];
}
