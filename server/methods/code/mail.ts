import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { TemplateType } from "../../courier/courier.ts";
import type { AppDeps } from "../../deps.ts";
import { identityToJson } from "../../identity/serialize.ts";

/**
 * The variables Kratos's templates get (courier/template/email/*.go): `To`, the secret, the URL
 * that carries it, `Identity`, `RequestURL`, `TransientPayload`, `ExpiresInMinutes`.
 */
export async function queueFlowMail(
  deps: AppDeps,
  flow: FlowRecord,
  template: TemplateType,
  to: string,
  identity: FullIdentity | undefined,
  vars: Record<string, unknown>,
): Promise<void> {
  const transient = flow.internalContext.transient_payload;
  await deps.courier.queueEmail({
    template,
    to,
    model: {
      To: to,
      ...vars,
      ...(identity ? { Identity: identityToJson(identity, { publicBaseUrl: deps.config.publicBase }) } : {}),
      RequestURL: flow.requestUrl,
      TransientPayload: transient && typeof transient === "object" ? transient : {},
    },
  });
}

/** `<public>/self-service/<kind>?flow=<id>&<param>=<secret>`: the link a mail carries. */
export function secretLink(deps: AppDeps, flow: FlowRecord, param: "code" | "token", secret: string): string {
  const u = new URL(`self-service/${flow.kind}`, deps.config.publicBase);
  u.searchParams.set("flow", flow.id);
  u.searchParams.set(param, secret);
  return u.toString();
}
