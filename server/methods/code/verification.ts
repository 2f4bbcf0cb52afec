import { mintSecret, secretLifespanMs } from "../../flows/kit/one-time.ts";
import type { VerificationStrategy } from "../../flows/verification/strategy.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { queueFlowMail, secretLink } from "./mail.ts";

/** Verification by a six-digit code (Kratos's `code` strategy, the default `use`). */
export const codeVerification: VerificationStrategy = {
  method: "code",
  chooseNodes: (address) => [
    inputNode("code", "email", "email", {
      ...(address ? { value: address } : {}),
      required: true,
      label: message(1070007),
    }),
    inputNode("code", "method", "submit", { value: "code", label: message(1070009) }),
  ],
  sentNodes: (address) => [
    inputNode("code", "method", "hidden", { value: "code" }),
    inputNode("code", "code", "text", {
      required: true,
      autocomplete: "one-time-code",
      label: message(1070011),
    }),
    inputNode("code", "method", "submit", { value: "code", label: message(1070009) }),
    inputNode("code", "email", "submit", { value: address, label: message(1070008) }),
  ],
  sentMessage: (via) => message(via === "sms" ? 1080004 : 1080003),
  secretOf: (values) => values.get("code")?.[0] || undefined,
  invalidMessage: () => message(4070006),
  async send(deps, flow, identity, to) {
    const lifespan = secretLifespanMs(deps, "code");
    const code = mintSecret(deps, flow, "code", identity.id, to, lifespan);
    await queueFlowMail(deps, flow, "verification_code.valid", to.value, identity, {
      VerificationCode: code,
      VerificationURL: secretLink(deps, flow, "code", code),
      ExpiresInMinutes: Math.floor(lifespan / 60_000),
    });
  },
};
