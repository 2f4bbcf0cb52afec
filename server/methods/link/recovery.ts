import { mintSecret } from "../../flows/kit/one-time.ts";
import type { RecoveryStrategy } from "../../flows/recovery/strategy.ts";
import { secretLink } from "../code/mail.ts";
import { mailedLink } from "./mailed-link.ts";

/** Recovery by a mailed link (`GET /self-service/recovery?flow=&token=`, Kratos's `link`). */
export const linkRecovery: RecoveryStrategy = {
  ...mailedLink({
    sentMessage: 1060002,
    invalidMessage: 4060004,
    template: "recovery.valid",
    urlVariable: "RecoveryURL",
  }),
  mintForAdmin(deps, flow, identity, lifespanMs) {
    const token = mintSecret(deps, flow, "token", identity.id, "admin", lifespanMs);
    return secretLink(deps, flow, "token", token);
  },
};
