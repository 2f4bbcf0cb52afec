import type { MethodDefinition, MethodRegistry } from "../flows/methods.ts";
import { codeMethod } from "./code/index.ts";
import { linkMethod } from "./link/index.ts";
import { passwordMethod } from "./password/index.ts";
import { profileMethod } from "./profile/index.ts";

/**
 * OpenID Connect is not built yet (issue 9): until it is, a settings submission that links or
 * unlinks a provider is answered as Kratos answers it when the method is switched off (404).
 */
const oidcNotAvailable: MethodDefinition = {
  id: "oidc",
  enabled: () => false,
  claims: (values) => Boolean(values.get("link")?.[0] || values.get("unlink")?.[0]),
};

/** Every method Tessera has, in the order their nodes appear (Kratos's strategy order). */
export function defaultMethods(): MethodRegistry {
  return [profileMethod, passwordMethod, oidcNotAvailable, codeMethod, linkMethod];
}
