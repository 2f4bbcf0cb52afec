import type { VerificationStrategy } from "../../flows/verification/strategy.ts";
import { mailedLink } from "./mailed-link.ts";

/** Verification by a mailed link (`GET /self-service/verification?flow=&token=`, Kratos's `link`). */
export const linkVerification: VerificationStrategy = mailedLink({
  sentMessage: 1080001,
  invalidMessage: 4070001,
  template: "verification.valid",
  urlVariable: "VerificationURL",
});
