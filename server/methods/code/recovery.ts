import { mintSecret, secretLifespanMs } from "../../flows/kit/one-time.ts";
import type { RecoveryStrategy } from "../../flows/recovery/strategy.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { queueFlowMail } from "./mail.ts";

/** Recovery by a six-digit code (Kratos's `code` strategy, the default `use`). */
export const codeRecovery: RecoveryStrategy = {
  method: "code",
  chooseNodes: () => [
    inputNode("code", "email", "email", { required: true, label: message(1070007) }),
    inputNode("code", "method", "submit", { value: "code", label: message(1070009) }),
  ],
  sentNodes: (address) => [
    inputNode("code", "code", "text", {
      required: true,
      autocomplete: "one-time-code",
      pattern: "[0-9]+",
      maxlength: 6,
      label: message(1070010),
    }),
    inputNode("code", "method", "hidden", { value: "code" }),
    inputNode("code", "method", "submit", { value: "code", label: message(1070009) }),
    inputNode("code", "email", "submit", { value: address, label: message(1070008) }),
  ],
  sentMessage: () => message(1060003),
  secretOf: (values) => values.get("code")?.[0] || undefined,
  invalidMessage: () => message(4060006),
  async send(deps, flow, identity, to) {
    const lifespan = secretLifespanMs(deps, "code");
    const code = mintSecret(deps, flow, "code", identity.id, to, lifespan);
    await queueFlowMail(deps, flow, "recovery_code.valid", to.value, identity, {
      RecoveryCode: code,
      ExpiresInMinutes: Math.floor(lifespan / 60_000),
    });
  },
  mintForAdmin(deps, flow, identity, lifespanMs) {
    return mintSecret(deps, flow, "code", identity.id, "admin", lifespanMs);
  },
};
