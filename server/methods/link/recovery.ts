import { addSecret, newToken, secretLifespanMs } from "../../flows/kit/one-time.ts";
import type { RecoveryStrategy } from "../../flows/recovery/strategy.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { queueFlowMail, secretLink } from "../code/mail.ts";

/** Recovery by a mailed link (`GET /self-service/recovery?flow=&token=`, Kratos's `link`). */
export const linkRecovery: RecoveryStrategy = {
  method: "link",
  chooseNodes: (address) => [
    inputNode("link", "email", "email", {
      ...(address ? { value: address } : {}),
      required: true,
      label: message(1070007),
    }),
    inputNode("link", "method", "submit", { value: "link", label: message(1070009) }),
  ],
  sentNodes: (address) => linkRecovery.chooseNodes(address),
  sentMessage: () => message(1060002),
  secretOf: (values) => values.get("token")?.[0] || undefined,
  invalidMessage: () => message(4060004),
  async send(deps, flow, identity, to) {
    const token = newToken();
    addSecret(
      deps,
      flow,
      token,
      { kind: "token", identityId: identity.id, address: to.value, via: to.via },
      secretLifespanMs(deps, "link"),
    );
    await queueFlowMail(deps, flow, "recovery.valid", to.value, identity, {
      RecoveryURL: secretLink(deps, flow, "token", token),
    });
  },
  mintForAdmin(deps, flow, identity, lifespanMs) {
    const token = newToken();
    addSecret(
      deps,
      flow,
      token,
      { kind: "token", identityId: identity.id, address: "", via: "email", admin: true },
      lifespanMs,
    );
    return secretLink(deps, flow, "token", token);
  },
};
