import type { ContinueWith } from "#shared/flows.ts";
import type { UiContainer, UiText } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import { parseDuration } from "../../duration.ts";
import { runBeforeHooks, runPostHooks } from "../../hooks/run.ts";
import { normalizeEmail } from "../../identity/normalize.ts";
import { markVerified } from "../../identity/verified.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import { appendQuery } from "../../request/url.ts";
import { toRfc3339 } from "../../time.ts";
import { message } from "../../ui/messages.ts";
import { csrfNode } from "../../ui/nodes.ts";
import { afterFor } from "../kit/after.ts";
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
import { startFlow as startSettingsFlow } from "../settings/service.ts";
import type { RecoveryStrategy } from "./strategy.ts";

/**
 * The recovery flow engine: an address gets a code (or link), the code signs the person in with a
 * fresh — therefore privileged — session, and the flow continues in a settings flow where a new
 * password can be set without the old one. Unknown addresses are answered like known ones.
 */

export interface RecoveryFlowJson {
  id: string;
  type: "browser" | "api";
  expires_at: string;
  issued_at: string;
  request_url: string;
  return_to?: string;
  active?: string;
  ui: UiContainer;
  state: string;
  continue_with?: ContinueWith[];
  transient_payload?: Record<string, unknown>;
}

export function recoveryFlowJson(flow: FlowRecord, continueWith?: ContinueWith[]): RecoveryFlowJson {
  const transient = flow.internalContext.transient_payload;
  return {
    ...flowCommonJson(flow),
    state: flow.state,
    ...(continueWith && continueWith.length > 0 ? { continue_with: continueWith } : {}),
    ...(transient && typeof transient === "object"
      ? { transient_payload: transient as Record<string, unknown> }
      : {}),
  };
}

const NOT_FOUND = "The recovery request could not be found. Please restart the flow.";

function assertEnabled(deps: AppDeps): void {
  if (!deps.config.raw.selfservice.flows.recovery.enabled)
    throw errors.badRequest("Recovery is not allowed because it was disabled.");
}

function strategyOf(deps: AppDeps): RecoveryStrategy {
  const s = activeStrategyOf(deps.methods, deps.config, "recovery");
  if (s === "disabled") throw errors.methodDisabled();
  return s;
}

export function recoveryLifespanMs(deps: AppDeps): number {
  return parseDuration(deps.config.raw.selfservice.flows.recovery.lifespan);
}

const alreadySignedIn = () =>
  errors.sessionAlreadyAvailable("A valid session was detected and thus recovery is not possible.");

function buildFlow(
  deps: AppDeps,
  ctx: RequestContext,
  opts: { type: "browser" | "api"; returnTo?: string | undefined; requestUrl?: string; messages?: UiText[] },
): FlowRecord {
  const strategy = strategyOf(deps);
  return newFlow(deps, {
    kind: "recovery",
    type: opts.type,
    lifespanMs: recoveryLifespanMs(deps),
    state: "choose_method",
    requestUrl: opts.requestUrl ?? ctx.requestUrl,
    returnTo: opts.returnTo,
    nodes: [csrfNode(opts.type === "browser" ? ctx.maskedCsrf() : ""), ...strategy.chooseNodes()],
    messages: opts.messages ?? [],
  });
}

/** `GET /self-service/recovery/{browser,api}`; a signed-in caller has nothing to recover. */
export async function createRecoveryFlow(
  deps: AppDeps,
  ctx: RequestContext,
  type: "browser" | "api",
  returnToParam: string | null,
  caller: Caller,
): Promise<FlowOutcome> {
  assertEnabled(deps);
  const returnTo = returnToParam ? deps.returnTo.validate(returnToParam) : undefined;
  if (await deps.sessions.fromRequest(ctx)) {
    if (caller.json || type === "api") return { kind: "error", error: alreadySignedIn() };
    return { kind: "redirect", to: returnTo ?? deps.config.defaultReturnUrl };
  }
  const flow = buildFlow(deps, ctx, { type, returnTo });
  await runBeforeHooks(deps.config.raw.selfservice.flows.recovery.before.hooks, {
    deps,
    ctx,
    flowJson: recoveryFlowJson(flow),
  });
  await deps.store.createFlow(flow);
  return { kind: "form", flow, body: recoveryFlowJson(flow), status: 200 };
}

/** `GET /self-service/recovery/flows?id=`: browser flows need their CSRF cookie. */
export async function getRecoveryFlow(
  deps: AppDeps,
  ctx: RequestContext,
  id: string | null,
): Promise<FlowRecord> {
  assertEnabled(deps);
  const flow = await loadFlow(deps, "recovery", id);
  if (!flow.internalContext.skip_csrf) assertFlowCsrfCookie(ctx, flow);
  if (isExpired(deps, flow)) {
    const init = flowInitUrl(deps, "recovery", flow.type, flow.returnTo);
    throw errors.flowExpired({
      reason:
        "The recovery flow has expired. Call the recovery flow init API endpoint to initialize a new recovery flow.",
      details: flow.type === "browser" ? { redirect_to: init } : { api: init },
    });
  }
  return flow;
}

/** `POST /self-service/recovery?flow=`. */
export async function submitRecovery(
  deps: AppDeps,
  ctx: RequestContext,
  input: SubmitInput,
): Promise<Submitted> {
  assertEnabled(deps);
  const flow = await loadFlow(deps, "recovery", requireFlowParam(input.flowId), NOT_FOUND);
  const caller: Caller = { flowType: flow.type, json: input.json };
  return submitToFlow(deps, flow, caller, () => new RecoverySubmission(deps, ctx, flow, caller).run(input));
}

/** `GET /self-service/recovery?flow=&token=`: the link method's mail; a browser follows it. */
export async function openRecoveryLink(deps: AppDeps, ctx: RequestContext): Promise<FlowOutcome> {
  assertEnabled(deps);
  const q = ctx.url.searchParams;
  const flow = await loadFlow(deps, "recovery", requireFlowParam(q.get("flow")), NOT_FOUND);
  const sub = new RecoverySubmission(deps, ctx, flow, { flowType: "browser", json: false });
  const strategy = strategyOf(deps);
  if (isExpired(deps, flow)) return sub.replaceExpired();
  const token = q.get("token");
  if (!token || strategy.method !== "link")
    return { kind: "redirect", to: appendQuery(deps.config.ui.recovery, { flow: flow.id }) };
  if (flow.state === "passed_challenge") return sub.retry(message(4060001));
  return sub.trySecret(strategy, token);
}

/** Recovers a known address (the strategy mails it); unknown ones get `.invalid` only if configured. */
async function sendTo(
  deps: AppDeps,
  flow: FlowRecord,
  strategy: RecoveryStrategy,
  address: string,
): Promise<void> {
  const value = normalizeEmail(address) ?? address.trim().toLowerCase();
  const id = await deps.store.findIdentityIdByAddress("recovery", "email", value);
  const identity = id ? await deps.store.getIdentity(id) : undefined;
  if (identity) {
    await strategy.send(deps, flow, identity, { value, via: "email" });
    return;
  }
  clearSecrets(flow);
  if (deps.config.raw.selfservice.flows.recovery.notify_unknown_recipients) {
    await deps.courier.queueEmail({
      template: strategy.method === "code" ? "recovery_code.invalid" : "recovery.invalid",
      to: address,
      model: {
        To: address,
        RequestURL: flow.requestUrl,
        TransientPayload: flow.internalContext.transient_payload ?? {},
      },
    });
  }
}

class RecoverySubmission extends MailedFlowSubmission {
  readonly kind: MailedFlowKind = {
    flowName: "recovery",
    expiredMessageId: 4060005,
    build: buildFlow,
    toJson: recoveryFlowJson,
  };

  async run(input: SubmitInput): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    if (isExpired(deps, flow)) return this.replaceExpired();
    const values = await this.readValues(input);
    if (!values.ok) return values.outcome;
    const strategy = strategyOf(deps);
    const named = values.value.get("method")?.[0] ?? "";
    if (named !== strategy.method) {
      const other = deps.methods.find((m) => m.id === named && m.recovery);
      if (other && !other.enabled(deps.config)) return { kind: "error", error: errors.methodDisabled() };
      return this.failGlobal(message(4010005));
    }
    keepTransientPayload(this.flow, values.value);
    if (!flow.internalContext.skip_csrf) {
      const csrf = await this.csrfRefusal(values.value);
      if (csrf) return csrf;
    }
    if (flow.state === "passed_challenge") return this.retry(message(4060001));
    const email = values.value.get("email")?.[0]?.trim() ?? "";
    const secret = strategy.secretOf(values.value);
    // Kratos: in `sent_email` a submission without an address is a code, even an empty one.
    if (flow.state === "sent_email" && !email && strategy.method === "code")
      return this.trySecret(strategy, secret ?? "");

    if (await deps.sessions.fromRequest(ctx)) {
      if (this.json) return { kind: "error", error: alreadySignedIn() };
      return { kind: "redirect", to: deps.config.defaultReturnUrl };
    }
    if (!email)
      return this.fail([{ path: "email", message: message(4000002, ["email"], { property: "email" }) }]);
    await sendTo(deps, flow, strategy, email);
    flow.state = "sent_email";
    flow.active = strategy.method;
    setUi(flow, {
      action: uiOf(flow).action,
      method: "POST",
      nodes: [csrfNode(flow.type === "browser" ? ctx.maskedCsrf() : ""), ...strategy.sentNodes(email)],
      messages: [strategy.sentMessage()],
    });
    flow.updatedAt = deps.clock.now();
    await deps.store.updateFlow(flow);
    return { kind: "form", flow, body: recoveryFlowJson(flow), status: 200 };
  }

  /** A right secret: a session for the identity and a privileged settings flow (Kratos's issue-session step). */
  async trySecret(strategy: RecoveryStrategy, raw: string): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const check = await checkSecret(deps, flow, raw, maxSubmissions(deps));
    if (check.kind === "too_many_attempts") {
      await deps.store.updateFlow(flow);
      const reason = "The request was submitted too often. Please request another code.";
      return this.retry(message(4000001, [reason], { reason }));
    }
    if (check.kind === "invalid") {
      if (strategy.method === "link") {
        await deps.store.updateFlow(flow);
        return this.retry(strategy.invalidMessage());
      }
      const ui = clearMessages(uiOf(flow));
      ui.messages = [strategy.invalidMessage()];
      for (const n of ui.nodes) {
        const a = n.attributes;
        if (a.node_type === "input" && a.name === "csrf_token" && flow.type === "browser")
          a.value = ctx.maskedCsrf();
      }
      setUi(flow, ui);
      flow.updatedAt = deps.clock.now();
      await deps.store.updateFlow(flow);
      return { kind: "form", flow, body: recoveryFlowJson(flow), status: 200 };
    }
    const from = flow.state;
    await deps.store.updateFlow(flow);
    if (!(await deps.store.transitionFlow(flow.id, from, "passed_challenge", deps.clock.now())))
      return this.retry(message(4060001));
    flow.state = "passed_challenge";
    const { secret } = check;
    const identity = await this.recovered(secret.identityId, secret.admin ? undefined : secret.address);
    if (identity?.state !== "active") return this.retry(message(4060002));

    const session = await deps.sessions.create(identity, `${strategy.method}_recovery`, ctx);
    const { hooks } = afterFor(deps.config.raw.selfservice.flows.recovery.after, strategy.method);
    await runPostHooks(hooks, {
      deps,
      ctx,
      flowJson: recoveryFlowJson(flow),
      identity,
      session,
      method: `${strategy.method}_recovery`,
      issuesSession: false,
    });
    const continueWith: ContinueWith[] = [];
    if (flow.type === "browser") {
      ctx.rotateCsrf();
      deps.sessions.setCookie(ctx, session);
    } else {
      continueWith.push({ action: "set_ory_session_token", ory_session_token: session.token });
    }
    const privilegedUntil = new Date(deps.clock.now().getTime() + deps.config.ms.privilegedSessionMaxAge);
    const minutes = deps.config.ms.privilegedSessionMaxAge / 60_000;
    const settings = await startSettingsFlow(
      deps,
      ctx,
      { session, identity },
      {
        type: flow.type,
        requestUrl: settingsRequestUrl(deps, flow),
        messages: [
          message(1060001, [minutes], {
            privileged_session_expires_at: toRfc3339(privilegedUntil),
            privileged_session_expires_at_unix: Math.floor(privilegedUntil.getTime() / 1000),
          }),
        ],
      },
    );
    const settingsUrl = appendQuery(deps.config.ui.settings, { flow: settings.id });
    setUi(flow, { ...clearMessages(uiOf(flow)) });
    flow.updatedAt = deps.clock.now();
    await deps.store.updateFlow(flow);
    if (!deps.config.raw.feature_flags.use_continue_with_transitions)
      return { kind: "browser_location_change", redirectTo: settingsUrl };
    continueWith.push({ action: "show_settings_ui", flow: { id: settings.id, url: settingsUrl } });
    return { kind: "success", body: recoveryFlowJson(flow, continueWith), redirectTo: settingsUrl };
  }

  /** The identity, with the recovered address marked verified: the code proved it (Kratos). */
  async recovered(identityId: string, address: string | undefined): Promise<FullIdentity | undefined> {
    const { deps } = this;
    const now = deps.clock.now();
    const result = await deps.store.mutateIdentity(identityId, (current) => {
      const addr = address
        ? current.verifiableAddresses.find((a) => a.value === address && !a.verified)
        : undefined;
      if (!addr) return { value: undefined };
      return {
        identity: {
          ...current,
          verifiableAddresses: markVerified(current.verifiableAddresses, (a) => a === addr, now),
        },
        value: undefined,
      };
    });
    return result.kind === "done" ? result.identity : undefined;
  }
}

/** The settings flow takes over the recovery flow's `return_to` (Kratos's TakeOverReturnToParameter). */
function settingsRequestUrl(deps: AppDeps, flow: FlowRecord): string {
  const u = new URL("self-service/settings/browser", deps.config.publicBase);
  const returnTo =
    flow.returnTo ??
    safeParam(flow.requestUrl, "return_to") ??
    deps.config.raw.selfservice.flows.recovery.after.default_browser_return_url;
  if (returnTo) u.searchParams.set("return_to", returnTo);
  return u.toString();
}

function safeParam(url: string, name: string): string | undefined {
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * `POST /admin/recovery/code` and `/admin/recovery/link`: an administrator's secret for an identity,
 * on a new recovery flow that needs no CSRF cookie (Kratos's DangerousSkipCSRFCheck).
 */
export async function createAdminRecovery(
  deps: AppDeps,
  ctx: RequestContext,
  method: "code" | "link",
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (!body || typeof body !== "object" || Array.isArray(body))
    throw errors.badRequest("The request body must be a JSON object.");
  const b = body as Record<string, unknown>;
  const allowed =
    method === "code" ? ["identity_id", "expires_in", "flow_type"] : ["identity_id", "expires_in"];
  for (const key of Object.keys(b))
    if (!allowed.includes(key)) throw errors.badRequest(`json: unknown field "${key}"`);
  if (typeof b.identity_id !== "string")
    throw errors.badRequest("identity_id is required and must be a string.");
  const strategy = deps.methods.find((m) => m.id === method)?.recovery;
  if (
    !deps.config.raw.selfservice.flows.recovery.enabled ||
    !strategy ||
    !deps.methods.find((m) => m.id === method)!.enabled(deps.config)
  )
    throw errors.methodDisabled();
  let expiresIn = parseDuration(deps.config.raw.selfservice.methods[method].config.lifespan);
  if (b.expires_in !== undefined) {
    if (typeof b.expires_in !== "string")
      throw errors.badRequest(
        `Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): ${String(b.expires_in)}`,
      );
    try {
      expiresIn = parseDuration(b.expires_in);
    } catch {
      throw errors.badRequest(
        `Unable to parse "expires_in" as a duration string (e.g. "1h", "1m30s", "500ms"): ${b.expires_in}`,
      );
    }
    if (!(expiresIn > 0))
      throw errors.badRequest(`Value from "expires_in" must result to a future time: ${b.expires_in}`);
  }
  const flowType = b.flow_type ?? "browser";
  if (flowType !== "browser" && flowType !== "api")
    throw errors.badRequest(`Value from "flow_type" is not valid: ${JSON.stringify(flowType)}`);
  const identity = /^[0-9a-f-]{36}$/i.test(b.identity_id)
    ? await deps.store.getIdentity(b.identity_id.toLowerCase())
    : undefined;
  if (!identity) throw errors.notFound("could not find identity");

  const flow = newFlow(deps, {
    kind: "recovery",
    type: flowType,
    lifespanMs: expiresIn,
    state: "sent_email",
    requestUrl: ctx.requestUrl,
    nodes: strategy
      .sentNodes("")
      .filter((n) => !(n.attributes.node_type === "input" && n.attributes.name === "email")),
    internalContext: { skip_csrf: true },
  });
  flow.active = method;
  const secret = strategy.mintForAdmin(deps, flow, identity, expiresIn);
  await deps.store.createFlow(flow);
  const expiresAt = toRfc3339(flow.expiresAt);
  if (method === "code") {
    return {
      status: 201,
      body: {
        recovery_link: appendQuery(deps.config.ui.recovery, { flow: flow.id }),
        recovery_code: secret,
        expires_at: expiresAt,
      },
    };
  }
  return { status: 200, body: { recovery_link: secret, expires_at: expiresAt } };
}
