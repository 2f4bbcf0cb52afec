import type { ContinueWith } from "#shared/flows.ts";
import type { UiContainer, UiText } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import { addressChangeOfFlow, applyVerified } from "../../account/address-change.ts";
import type { AppDeps } from "../../deps.ts";
import { runBeforeHooks } from "../../hooks/run.ts";
import { normalizeEmail } from "../../identity/normalize.ts";
import { markVerified } from "../../identity/verified.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import { appendQuery } from "../../request/url.ts";
import { message } from "../../ui/messages.ts";
import { anchorNode, csrfNode } from "../../ui/nodes.ts";
import { clearMessages } from "../kit/form.ts";
import { keepTransientPayload, type MailedFlowKind, MailedFlowSubmission } from "../kit/mailed-flow.ts";
import { checkSecret, clearSecrets, maxSubmissions } from "../kit/one-time.ts";
import {
  type Caller,
  type FlowOutcome,
  type SubmitInput,
  type Submitted,
  submitToFlow,
} from "../kit/outcome.ts";
import {
  assertFlowCsrfCookie,
  flowCommonJson,
  flowInitUrl,
  isExpired,
  loadFlow,
  newFlow,
  requireFlowParam,
  setUi,
  uiOf,
} from "../kit/record.ts";
import { activeStrategyOf } from "../methods.ts";
import type { Recipient, VerificationStrategy } from "./strategy.ts";

/**
 * The verification flow engine (contract §16.3): `choose_method` → `sent_email` →
 * `passed_challenge`. The method in `selfservice.flows.verification.use` (code or link) mints and
 * mails the secret; this engine answers unknown addresses exactly like known ones, counts wrong
 * secrets per flow and marks the address verified.
 */

export interface VerificationFlowJson {
  id: string;
  type: "browser" | "api";
  expires_at: string;
  issued_at: string;
  request_url: string;
  return_to?: string;
  active?: string;
  ui: UiContainer;
  state: string;
  transient_payload?: Record<string, unknown>;
}

export function verificationFlowJson(flow: FlowRecord): VerificationFlowJson {
  const transient = flow.internalContext.transient_payload;
  return {
    ...flowCommonJson(flow),
    state: flow.state,
    ...(transient && typeof transient === "object"
      ? { transient_payload: transient as Record<string, unknown> }
      : {}),
  };
}

const DISABLED = "Verification is not allowed because it was disabled.";

function assertEnabled(deps: AppDeps): void {
  if (!deps.config.raw.selfservice.flows.verification.enabled) throw errors.badRequest(DISABLED);
}

/** The strategy `use` names; a switched-off method is a 404 (Kratos's disabled strategy). */
function strategyOf(deps: AppDeps): VerificationStrategy {
  const s = activeStrategyOf(deps.methods, deps.config, "verification");
  if (s === "disabled") throw errors.methodDisabled();
  return s;
}

function buildFlow(
  deps: AppDeps,
  ctx: RequestContext,
  opts: {
    type: "browser" | "api";
    returnTo?: string | undefined;
    requestUrl?: string;
    messages?: UiText[];
    csrf?: string;
  },
): FlowRecord {
  const strategy = strategyOf(deps);
  const csrf = opts.csrf ?? (opts.type === "browser" ? ctx.maskedCsrf() : "");
  return newFlow(deps, {
    kind: "verification",
    type: opts.type,
    lifespanMs: deps.config.ms.verificationLifespan,
    state: "choose_method",
    requestUrl: opts.requestUrl ?? ctx.requestUrl,
    returnTo: opts.returnTo,
    nodes: [csrfNode(csrf), ...strategy.chooseNodes()],
    messages: opts.messages ?? [],
  });
}

/** `GET /self-service/verification/{browser,api}` (contract §16.3). */
export async function createVerificationFlow(
  deps: AppDeps,
  ctx: RequestContext,
  type: "browser" | "api",
  returnToParam: string | null,
  _caller: Caller,
): Promise<FlowOutcome> {
  assertEnabled(deps);
  const returnTo = returnToParam ? deps.returnTo.validate(returnToParam) : undefined;
  const flow = buildFlow(deps, ctx, { type, returnTo });
  await runBeforeHooks(deps.config.raw.selfservice.flows.verification.before.hooks, {
    deps,
    ctx,
    flowJson: verificationFlowJson(flow),
  });
  await deps.store.createFlow(flow);
  return { kind: "form", flow, body: verificationFlowJson(flow), status: 200 };
}

/** `GET /self-service/verification/flows?id=`: browser flows need their CSRF cookie. */
export async function getVerificationFlow(
  deps: AppDeps,
  ctx: RequestContext,
  id: string | null,
): Promise<FlowRecord> {
  assertEnabled(deps);
  const flow = await loadFlow(deps, "verification", id);
  // A passed flow shows only its "continue" link, and a link opened in another browser passes it.
  if (flow.state !== "passed_challenge") assertFlowCsrfCookie(ctx, flow);
  if (isExpired(deps, flow)) {
    const init = flowInitUrl(deps, "verification", flow.type, flow.returnTo);
    throw errors.flowExpired({
      reason:
        "The verification flow has expired. Call the verification flow init API endpoint to initialize a new verification flow.",
      details: flow.type === "browser" ? { redirect_to: init } : { api: init },
    });
  }
  return flow;
}

/** Where "continue" leads once verified: return_to, then `after.default_browser_return_url`. */
function continueUrl(deps: AppDeps, flow: FlowRecord): string {
  const after = deps.config.raw.selfservice.flows.verification.after.default_browser_return_url;
  const fallback = after ?? deps.config.defaultReturnUrl;
  if (flow.returnTo) return flow.returnTo;
  try {
    return deps.returnTo.fromUrl(new URL(flow.requestUrl)) ?? fallback;
  } catch {
    return fallback;
  }
}

/** A known verifiable address and its identity, or undefined (answered exactly alike). */
async function lookUp(
  deps: AppDeps,
  raw: string,
): Promise<{ identity: FullIdentity; to: Recipient } | undefined> {
  const value = normalizeEmail(raw) ?? raw.trim().toLowerCase();
  const id = await deps.store.findIdentityIdByAddress("verifiable", "email", value);
  const identity = id ? await deps.store.getIdentity(id) : undefined;
  const address = identity?.verifiableAddresses.find((a) => a.via === "email" && a.value === value);
  return identity && address ? { identity, to: { value: address.value, via: address.via } } : undefined;
}

/**
 * A resend on the flow of a held address change: the new address is not on the identity yet, but
 * the flow was made for it, so it gets a fresh secret like a known address.
 */
async function heldAddress(
  deps: AppDeps,
  flow: FlowRecord,
  raw: string,
): Promise<{ identity: FullIdentity; to: Recipient } | undefined> {
  const changeId = addressChangeOfFlow(flow);
  if (!changeId) return undefined;
  const change = await deps.store.getAddressChange(changeId);
  const value = normalizeEmail(raw) ?? raw.trim().toLowerCase();
  if (change?.status !== "pending" || change.newValue !== value) return undefined;
  const identity = await deps.store.getIdentity(change.identityId);
  return identity ? { identity, to: { value, via: "email" } } : undefined;
}

/** Marks the address `sent` once a secret went out (Kratos's status after sending). */
async function markSent(deps: AppDeps, identity: FullIdentity, to: Recipient): Promise<void> {
  const now = deps.clock.now();
  await deps.store.mutateIdentity(identity.id, (current) => {
    const addr = current.verifiableAddresses.find((a) => a.via === to.via && a.value === to.value);
    if (!addr || addr.verified || addr.status === "sent") return { value: undefined };
    return {
      identity: {
        ...current,
        verifiableAddresses: current.verifiableAddresses.map((a) =>
          a === addr ? { ...a, status: "sent" as const, updatedAt: now } : a,
        ),
      },
      value: undefined,
    };
  });
  for (const a of identity.verifiableAddresses)
    if (a.via === to.via && a.value === to.value && !a.verified) a.status = "sent";
}

/** Sends the secret to `address` when known; unknown addresses get the `.invalid` mail only if configured. */
async function sendTo(
  deps: AppDeps,
  flow: FlowRecord,
  strategy: VerificationStrategy,
  address: string,
): Promise<void> {
  const known = (await heldAddress(deps, flow, address)) ?? (await lookUp(deps, address));
  if (known) {
    await strategy.send(deps, flow, known.identity, known.to);
    await markSent(deps, known.identity, known.to);
    return;
  }
  // The flow must look the same either way: forget any earlier secret, as a resend would.
  clearSecrets(flow);
  if (deps.config.raw.selfservice.flows.verification.notify_unknown_recipients) {
    const transient = flow.internalContext.transient_payload;
    await deps.courier.queueEmail({
      template: strategy.method === "code" ? "verification_code.invalid" : "verification.invalid",
      to: address,
      model: { To: address, RequestURL: flow.requestUrl, TransientPayload: transient ?? {} },
    });
  }
}

/** Puts the flow in `sent_email` for `address` (nodes, message), not yet stored. */
function showSent(
  deps: AppDeps,
  ctx: RequestContext,
  flow: FlowRecord,
  strategy: VerificationStrategy,
  address: string,
  csrf?: string,
) {
  const token = csrf ?? (flow.type === "browser" ? ctx.maskedCsrf() : "");
  flow.state = "sent_email";
  flow.active = strategy.method;
  setUi(flow, {
    action: uiOf(flow).action,
    method: "POST",
    nodes: [csrfNode(token), ...strategy.sentNodes(address)],
    messages: [strategy.sentMessage("email")],
  });
  flow.updatedAt = deps.clock.now();
}

/**
 * The verifier (contract §11.5): a verification flow in `sent_email` for an address, created by a
 * registration, settings or login hook, with the secret already sent. Answers the continue_with item.
 */
export async function startVerificationFor(
  deps: AppDeps,
  ctx: RequestContext,
  source: FlowRecord,
  identity: FullIdentity,
  address: Recipient,
  /** Server-only state for the new flow (a held address change it applies when passed). */
  internal: Record<string, unknown> = {},
): Promise<Extract<ContinueWith, { action: "show_verification_ui" }>> {
  const strategy = strategyOf(deps);
  const flow = buildFlow(deps, ctx, {
    type: source.type,
    requestUrl: source.requestUrl,
    returnTo: source.returnTo ?? undefined,
  });
  const transient = source.internalContext.transient_payload ?? source.data.transient_payload;
  flow.internalContext = { ...flow.internalContext, ...internal };
  if (transient) flow.internalContext = { ...flow.internalContext, transient_payload: transient };
  showSent(deps, ctx, flow, strategy, address.value);
  await strategy.send(deps, flow, identity, address);
  await deps.store.createFlow(flow);
  await markSent(deps, identity, address);
  const url = appendQuery(deps.config.ui.verification, { flow: flow.id });
  return {
    action: "show_verification_ui",
    flow: { id: flow.id, verifiable_address: address.value, ...(source.type === "browser" ? { url } : {}) },
  };
}

/** `POST /self-service/verification?flow=` (contract §16.3). */
export async function submitVerification(
  deps: AppDeps,
  ctx: RequestContext,
  input: SubmitInput,
): Promise<Submitted> {
  assertEnabled(deps);
  const flow = await loadFlow(
    deps,
    "verification",
    requireFlowParam(input.flowId),
    "The verification request could not be found. Please restart the flow.",
  );
  const caller: Caller = { flowType: flow.type, json: input.json };
  return submitToFlow(deps, flow, caller, () =>
    new VerificationSubmission(deps, ctx, flow, caller).run(input),
  );
}

/**
 * `GET /self-service/verification?flow=&code=|token=`: the link in a mail. A code link fills the
 * code in and shows the flow (a browser opens it, so it gets a CSRF cookie now); a token link
 * verifies at once. Either way the browser lands on the verification UI (Kratos).
 */
export async function openVerificationLink(deps: AppDeps, ctx: RequestContext): Promise<FlowOutcome> {
  assertEnabled(deps);
  const q = ctx.url.searchParams;
  const flow = await loadFlow(
    deps,
    "verification",
    requireFlowParam(q.get("flow")),
    "The verification request could not be found. Please restart the flow.",
  );
  const caller: Caller = { flowType: "browser", json: false };
  const sub = new VerificationSubmission(deps, ctx, flow, caller);
  const strategy = strategyOf(deps);
  const values: FormValues = new Map();
  for (const key of ["code", "token"]) {
    const v = q.get(key);
    if (v) values.set(key, [v]);
  }
  if (isExpired(deps, flow)) return sub.replaceExpired();
  const secret = strategy.secretOf(values);
  if (!secret) return { kind: "redirect", to: appendQuery(deps.config.ui.verification, { flow: flow.id }) };
  if (strategy.method === "code") {
    const ui = uiOf(flow);
    for (const n of ui.nodes) {
      const a = n.attributes;
      if (a.node_type !== "input") continue;
      if (a.name === "code") a.value = secret;
      if (a.name === "csrf_token" && flow.type === "browser") a.value = ctx.maskedCsrf();
    }
    setUi(flow, ui);
    await deps.store.updateFlow(flow);
    return { kind: "redirect", to: appendQuery(deps.config.ui.verification, { flow: flow.id }) };
  }
  const outcome = await sub.trySecret(strategy, secret);
  if (outcome.kind === "form")
    return { kind: "redirect", to: appendQuery(deps.config.ui.verification, { flow: outcome.flow.id }) };
  return outcome;
}

class VerificationSubmission extends MailedFlowSubmission {
  readonly kind: MailedFlowKind = {
    flowName: "verification",
    expiredMessageId: 4070005,
    build: buildFlow,
    toJson: verificationFlowJson,
  };

  async run(input: SubmitInput): Promise<FlowOutcome> {
    const { deps, flow } = this;
    if (isExpired(deps, flow)) return this.replaceExpired();
    const values = await this.readValues(input);
    if (!values.ok) return values.outcome;
    const strategy = strategyOf(deps);
    const named = values.value.get("method")?.[0] ?? "";
    const method = named || (strategy.secretOf(values.value) ? strategy.method : "");
    if (method !== strategy.method) {
      const other = deps.methods.find((m) => m.id === method && m.verification);
      if (other && !other.enabled(deps.config)) return { kind: "error", error: errors.methodDisabled() };
      return this.failGlobal(message(4010006));
    }
    keepTransientPayload(this.flow, values.value);
    if (flow.state === "passed_challenge") return this.retry(message(4070002));

    const secret = strategy.secretOf(values.value);
    if (secret) return this.trySecret(strategy, secret);
    const email = values.value.get("email")?.[0]?.trim() ?? "";
    if (!email) {
      return this.fail([{ path: "email", message: message(4000002, ["email"], { property: "email" }) }]);
    }
    const csrf = await this.csrfRefusal(values.value);
    if (csrf) return csrf;
    await sendTo(deps, flow, strategy, email);
    showSent(deps, this.ctx, flow, strategy, email);
    await deps.store.updateFlow(flow);
    return { kind: "form", flow, body: verificationFlowJson(flow), status: 200 };
  }

  /** Checks the secret; a match verifies the address and passes the flow (contract §16.3). */
  async trySecret(strategy: VerificationStrategy, raw: string): Promise<FlowOutcome> {
    const { deps, flow } = this;
    const check = await checkSecret(deps, flow, raw, maxSubmissions(deps));
    if (check.kind === "too_many_attempts") {
      await deps.store.updateFlow(flow);
      return this.retry(
        message(4000001, ["The request was submitted too often. Please request another code."], {
          reason: "The request was submitted too often. Please request another code.",
        }),
      );
    }
    if (check.kind === "invalid") {
      if (strategy.method === "link") {
        await deps.store.updateFlow(flow);
        return this.retry(strategy.invalidMessage());
      }
      const ui = clearMessages(uiOf(flow));
      ui.messages = [strategy.invalidMessage()];
      setUi(flow, ui);
      flow.updatedAt = deps.clock.now();
      await deps.store.updateFlow(flow);
      return { kind: "form", flow, body: verificationFlowJson(flow), status: 200 };
    }
    // Of two submissions of one secret, only the one that moves the flow on verifies.
    const from = flow.state;
    await deps.store.updateFlow(flow);
    if (!(await deps.store.transitionFlow(flow.id, from, "passed_challenge", deps.clock.now())))
      return this.retry(message(4070002));
    const { secret } = check;
    const now = deps.clock.now();
    const changeId = addressChangeOfFlow(flow);
    if (changeId) {
      // A held address change: the new address is proven, so the trait takes it now.
      const applied = await applyVerified(deps, this.ctx, changeId);
      if (!applied.ok) return this.retry(applied.reason);
    } else {
      await deps.store.mutateIdentity(secret.identityId, (current) => {
        const addr = current.verifiableAddresses.find(
          (a) => a.via === secret.via && a.value === secret.address,
        );
        if (!addr) return { value: undefined };
        return {
          identity: {
            ...current,
            verifiableAddresses: markVerified(current.verifiableAddresses, (a) => a === addr, now),
          },
          value: undefined,
        };
      });
    }
    const href = continueUrl(deps, flow);
    flow.state = "passed_challenge";
    setUi(flow, {
      action: href,
      method: "GET",
      nodes: [anchorNode(strategy.method, "continue", href, message(1070009))],
      messages: [message(secret.via === "sms" ? 1080005 : 1080002)],
    });
    flow.updatedAt = now;
    await deps.store.updateFlow(flow);
    return { kind: "form", flow, body: verificationFlowJson(flow), status: 200 };
  }
}
