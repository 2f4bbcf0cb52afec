import type { ContinueWith } from "#shared/flows.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { RequestContext } from "../../request/context.ts";
import { HttpError } from "../../request/errors.ts";
import { appendQuery } from "../../request/url.ts";
import { refreshCsrf } from "../kit/form.ts";
import type { FlowOutcome } from "../kit/outcome.ts";
import { startVerificationFor } from "./service.ts";

export type ShowVerificationUi = Extract<ContinueWith, { action: "show_verification_ui" }>;

/**
 * Kratos's implicit `verification` hook (contract §11.5): with verification on, the first address
 * that still needs it — after registration an unverified one, after a settings change a new
 * (`pending`) one — gets its own verification flow in `sent_email` with the secret already mailed.
 * The `show_verification_ui` hook then points the person at it.
 */
export async function runVerifier(
  deps: AppDeps,
  ctx: RequestContext,
  source: FlowRecord,
  identity: FullIdentity,
): Promise<ShowVerificationUi | undefined> {
  if (!deps.config.raw.selfservice.flows.verification.enabled) return undefined;
  const needs =
    source.kind === "settings"
      ? (a: FullIdentity["verifiableAddresses"][number]) => a.status === "pending"
      : (a: FullIdentity["verifiableAddresses"][number]) => !a.verified;
  const address = identity.verifiableAddresses.find((a) => a.value !== "" && a.via === "email" && needs(a));
  if (!address) return undefined;
  return startVerificationFor(deps, ctx, source, identity, { value: address.value, via: address.via });
}

/**
 * `require_verified_address` on login (Kratos's AddressVerifier): no session; instead a
 * verification flow for the first address, already mailed. JSON callers get 403
 * `session_verified_address_required` with that flow in `details.continue_with`; browsers are sent to
 * it. With verification off there is nothing to send: the flow shows 4000010, as Kratos's legacy
 * answer does.
 */
export async function verificationRequired(
  deps: AppDeps,
  ctx: RequestContext,
  source: FlowRecord,
  identity: FullIdentity,
  json: boolean,
): Promise<FlowOutcome | "legacy"> {
  const address = identity.verifiableAddresses.find((a) => a.value !== "" && a.via === "email");
  if (!deps.config.raw.selfservice.flows.verification.enabled || !address) return "legacy";
  const item = await startVerificationFor(deps, ctx, source, identity, {
    value: address.value,
    via: address.via,
  });
  const url = appendQuery(deps.config.ui.verification, { flow: item.flow.id });
  const withUrl: ShowVerificationUi = { ...item, flow: { ...item.flow, url } };
  if (!json) return { kind: "redirect", to: url, status: 303 };
  return {
    kind: "error",
    error: new HttpError(403, {
      id: "session_verified_address_required",
      reason:
        "Your account's email or phone address are not verified yet. Please check your email or phone inbox or re-request verification.",
      message: "your email or phone address is not yet verified",
      details: { continue_with: [withUrl] },
    }),
  };
}

/**
 * Signing in rotates the CSRF cookie; the verification flow the verifier made moments before must
 * carry a token of the new cookie, or its browser could not fetch it (Kratos regenerates it too).
 */
export async function rebindVerificationCsrf(
  deps: AppDeps,
  ctx: RequestContext,
  item: ShowVerificationUi | undefined,
): Promise<void> {
  if (!item) return;
  const flow = await deps.store.getFlow(item.flow.id);
  if (flow?.type !== "browser") return;
  refreshCsrf(ctx, flow);
  await deps.store.updateFlow(flow);
}
