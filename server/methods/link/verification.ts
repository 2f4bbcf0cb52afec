import { addSecret, newToken, secretLifespanMs } from "../../flows/kit/one-time.ts";
import type { VerificationStrategy } from "../../flows/verification/strategy.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { queueFlowMail, secretLink } from "../code/mail.ts";

/** Verification by a mailed link (`GET /self-service/verification?flow=&token=`, Kratos's `link`). */
export const linkVerification: VerificationStrategy = {
  method: "link",
  chooseNodes: (address) => [
    inputNode("link", "email", "email", {
      ...(address ? { value: address } : {}),
      required: true,
      label: message(1070007),
    }),
    inputNode("link", "method", "submit", { value: "link", label: message(1070009) }),
  ],
  sentNodes: (address) => linkVerification.chooseNodes(address),
  sentMessage: () => message(1080001),
  secretOf: (values) => values.get("token")?.[0] || undefined,
  invalidMessage: () => message(4070001),
  async send(deps, flow, identity, to) {
    const token = newToken();
    addSecret(
      deps,
      flow,
      token,
      { kind: "token", identityId: identity.id, address: to.value, via: to.via },
      secretLifespanMs(deps, "link"),
    );
    await queueFlowMail(deps, flow, "verification.valid", to.value, identity, {
      VerificationURL: secretLink(deps, flow, "token", token),
    });
  },
};
