import { mintSecret, secretLifespanMs } from "../../flows/kit/one-time.ts";
import type { RecoveryStrategy } from "../../flows/recovery/strategy.ts";
import type { MessageId } from "../../ui/catalog.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { queueFlowMail, secretLink } from "../code/mail.ts";

/**
 * What the link method does the same way in verification and recovery: an email input and a
 * submit button, a token in the mailed link (`?flow=&token=`), and the mail with that link. The
 * flows differ only in their messages, the mail template and the template's URL variable (and
 * recovery's admin links, recovery.ts). Typed as recovery's shape, which a verification strategy
 * also accepts.
 */
export function mailedLink(kind: {
  sentMessage: MessageId;
  invalidMessage: MessageId;
  template: "verification.valid" | "recovery.valid";
  urlVariable: "VerificationURL" | "RecoveryURL";
}): Omit<RecoveryStrategy, "mintForAdmin"> {
  const chooseNodes = (address?: string) => [
    inputNode("link", "email", "email", {
      ...(address ? { value: address } : {}),
      required: true,
      label: message(1070007),
    }),
    inputNode("link", "method", "submit", { value: "link", label: message(1070009) }),
  ];
  return {
    method: "link",
    chooseNodes,
    sentNodes: (address) => chooseNodes(address),
    sentMessage: () => message(kind.sentMessage),
    secretOf: (values) => values.get("token")?.[0] || undefined,
    invalidMessage: () => message(kind.invalidMessage),
    async send(deps, flow, identity, to) {
      const token = mintSecret(deps, flow, "token", identity.id, to, secretLifespanMs(deps, "link"));
      await queueFlowMail(deps, flow, kind.template, to.value, identity, {
        [kind.urlVariable]: secretLink(deps, flow, "token", token),
      });
    },
  };
}
