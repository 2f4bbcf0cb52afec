import { isDeepStrictEqual } from "node:util";
import type { ContinueWith, SettingsFlowJson } from "#shared/flows.ts";
import type { UiNode, UiText } from "#shared/ui.ts";
import {
  type AddressChangeRecord,
  ConflictError,
  type FlowRecord,
  type FullIdentity,
} from "../../../db/store.ts";
import {
  ADDRESS_CHANGE_KEY,
  appliedEdit,
  CANCEL_FIELD,
  cancelPending,
  keepTrait,
  pendingChangeOf,
  pendingMessage,
  pendingNodes,
  planHold,
  recordAddressChange,
} from "../../account/address-change.ts";
import { eventsFor } from "../../account/history.ts";
import type { AppDeps } from "../../deps.ts";
import { applyIdentityPatch } from "../../hooks/identity-patch.ts";
import { runBeforeHooks, runPostHooks, runPreHooks } from "../../hooks/run.ts";
import { commitIdentityChange, type IdentityChange } from "../../identity/commit.ts";
import { formsOf } from "../../identity/forms.ts";
import { withTraits } from "../../identity/manager.ts";
import { changeNeedsPrivilege } from "../../identity/privilege.ts";
import { identityToJson } from "../../identity/serialize.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors, HttpError } from "../../request/errors.ts";
import { appendQuery } from "../../request/url.ts";
import type { ActiveSession } from "../../session/service.ts";
import { message } from "../../ui/messages.ts";
import { csrfNode } from "../../ui/nodes.ts";
import { sortNodes } from "../../ui/sort.ts";
import { afterFor } from "../kit/after.ts";
import { abortPausedSubmissions, pauseSubmission, resumeSubmission } from "../kit/continuity.ts";
import { dryRunDeps, takeDryRun } from "../kit/dry-run.ts";
import { type FlowIssue, reasonMessage, refreshCsrf, renderError } from "../kit/form.ts";
import {
  type Caller,
  type FlowOutcome,
  type SubmitInput,
  type Submitted,
  submitToFlow,
} from "../kit/outcome.ts";
import {
  expiredError,
  expiredMessageArgs,
  flowCommonJson,
  flowInitUrl,
  foundFlow,
  isExpired,
  loadFlow,
  newFlow,
  requireFlowParam,
  setUi,
  storedFlowId,
  uiOf,
} from "../kit/record.ts";
import { FlowSubmission } from "../kit/submission.ts";
import { strategiesOf } from "../methods.ts";
import { startVerificationFor } from "../verification/service.ts";
import { runVerifier } from "../verification/verifier.ts";
import type { SettingsChange, SettingsRequest, SettingsStrategy } from "./strategy.ts";

/**
 * The settings flow engine (contract §4): creating, fetching and submitting settings flows for
 * browsers, SPAs and native apps, whatever the method. Methods contribute through their
 * `SettingsStrategy` (server/methods/<id>/settings.ts); the rules every method shares live here,
 * once: session and flow validity, CSRF, the privileged-session guard, hooks, one transaction,
 * rendering. The REST routes, the tRPC router and the pages call these functions.
 */

/** The reason of a refused write whose identity changed after the form was shown. */
const CHANGED_MEANWHILE =
  "The account was changed while this form was open. Review the current values and submit again.";

export function settingsFlowJson(
  deps: AppDeps,
  flow: FlowRecord,
  identity: FullIdentity,
  continueWith?: ContinueWith[],
): SettingsFlowJson {
  return {
    ...flowCommonJson(flow),
    identity: identityToJson(identity, {
      publicBaseUrl: deps.config.publicBase,
      traitPolicy: formsOf(deps, identity.schemaId).traitPolicy,
    }),
    state: flow.state as "show_form" | "success",
    organization_id: null,
    ...(continueWith && continueWith.length > 0 ? { continue_with: continueWith } : {}),
  };
}

/**
 * Every enabled method's nodes for the identity, with the CSRF node, sorted (contract §3.5–§3.6),
 * and a pending address change with its cancel button (docs/account-features.md).
 */
export function settingsNodes(
  deps: AppDeps,
  identity: FullIdentity,
  csrfToken: string,
  submitted?: { method: string; values: Record<string, unknown> },
  pending?: AddressChangeRecord,
): UiNode[] {
  const nodes: UiNode[] = [csrfNode(csrfToken)];
  for (const strategy of strategiesOf(deps.methods, deps.config, "settings")) {
    const echo = submitted?.method === strategy.method ? submitted.values : undefined;
    nodes.push(...strategy.nodes(deps, identity, echo));
    if (strategy.method === "profile") nodes.push(...pendingNodes(pending));
  }
  return sortNodes(nodes, formsOf(deps, identity.schemaId).keyOrder);
}

function csrfFor(ctx: RequestContext, type: "browser" | "api"): string {
  return type === "browser" ? ctx.maskedCsrf() : "";
}

/** Builds and stores a new settings flow for the session's identity. */
export async function startFlow(
  deps: AppDeps,
  ctx: RequestContext,
  active: ActiveSession,
  opts: { type: "browser" | "api"; returnTo?: string; requestUrl?: string; messages?: UiText[] },
): Promise<FlowRecord> {
  const pending = await pendingChangeOf(deps, active.identity.id);
  const flow = newFlow(deps, {
    kind: "settings",
    type: opts.type,
    lifespanMs: deps.config.ms.settingsLifespan,
    identityId: active.identity.id,
    state: "show_form",
    requestUrl: opts.requestUrl ?? ctx.requestUrl,
    returnTo: opts.returnTo,
    nodes: settingsNodes(deps, active.identity, csrfFor(ctx, opts.type), undefined, pending),
    messages: opts.messages ?? (pending ? [pendingMessage(pending)] : []),
  });
  // Before hooks see the flow being created (contract §4.1 step 4) and may refuse it.
  await runBeforeHooks(deps.config.raw.selfservice.flows.settings.before.hooks, {
    deps,
    ctx,
    // Serialised only if a web hook runs.
    get flowJson() {
      return settingsFlowJson(deps, flow, active.identity);
    },
    identity: active.identity,
    session: active.session,
  });
  await abortPausedSubmissions(deps, "settings", active.identity.id);
  await deps.store.createFlow(flow);
  return flow;
}

/** Without a session: JSON callers get a 401; browsers are sent to sign in (contract §4.1). */
function signInFirst(deps: AppDeps, type: "browser" | "api", json: boolean, returnTo: string | null) {
  if (type === "api") {
    throw errors.sessionInactive(
      "This endpoint can only be accessed with a valid session. Please log in and try again.",
    );
  }
  if (json) {
    throw errors.sessionInactive(
      "No active session was found in this request.",
      "request does not have a valid authentication session",
    );
  }
  const login = new URL("self-service/login/browser", deps.config.publicBase);
  if (returnTo !== null) login.searchParams.set("return_to", returnTo);
  return { kind: "redirect", to: login.toString() } as const;
}

/** `GET /self-service/settings/{browser,api}` (contract §4.1, §4.2). */
export async function createSettingsFlow(
  deps: AppDeps,
  ctx: RequestContext,
  type: "browser" | "api",
  returnToParam: string | null,
  caller: Caller,
): Promise<FlowOutcome> {
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) return signInFirst(deps, type, caller.json, returnToParam);
  const returnTo = returnToParam ? deps.returnTo.validate(returnToParam) : undefined;
  const flow = await startFlow(deps, ctx, active, { type, ...(returnTo ? { returnTo } : {}) });
  return { kind: "form", flow, body: settingsFlowJson(deps, flow, active.identity), status: 200 };
}

/**
 * `GET /self-service/settings/flows?id=` (contract §4.3): only for the signed-in owner; no CSRF
 * check, unlike login and registration. Browsers without a session are sent to the login UI.
 */
export async function fetchSettingsFlow(
  deps: AppDeps,
  ctx: RequestContext,
  id: string | null,
  json: boolean,
): Promise<FlowOutcome> {
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) {
    if (json) throw errors.sessionInactive("A valid Ory Session Cookie or Ory Session Token is missing.");
    return { kind: "redirect", to: deps.config.ui.login, status: 302 };
  }
  const flow = await loadFlow(deps, "settings", id);
  if (flow.identityId !== active.identity.id) {
    throw errors.identityMismatch(
      "The request was made for another identity and has been blocked for security reasons.",
    );
  }
  if (isExpired(deps, flow)) throw expiredFetch(deps, flow);
  return { kind: "form", flow, body: settingsFlowJson(deps, flow, active.identity), status: 200 };
}

/** The 410 for fetching an expired settings flow (contract §4.3). */
function expiredFetch(deps: AppDeps, flow: FlowRecord): HttpError {
  const browser = flow.type === "browser";
  return errors.gone({
    reason: browser
      ? "The settings flow has expired. Redirect the user to the settings flow init endpoint to initialize a new settings flow."
      : "The settings flow has expired. Call the settings flow init API endpoint to initialize a new settings flow.",
    details: browser
      ? {
          redirect_to: flowInitUrl(deps, "settings", "browser", flow.returnTo),
          ...(flow.returnTo ? { return_to: flow.returnTo } : {}),
        }
      : { api: flowInitUrl(deps, "settings", "api") },
  });
}

/**
 * A settings flow read by id on the admin listener, without a session or owner check: the v0.1/v0.2
 * request endpoints offered that to server-side UIs (contract §19). Same expiry rule as §4.3.
 */
export async function readSettingsFlowAsAdmin(deps: AppDeps, id: string | null): Promise<FlowOutcome> {
  const flow = await loadFlow(deps, "settings", id);
  const identity = flow.identityId ? await deps.store.getIdentity(flow.identityId) : undefined;
  if (!identity) throw errors.notFound();
  if (isExpired(deps, flow)) throw expiredFetch(deps, flow);
  return { kind: "form", flow, body: settingsFlowJson(deps, flow, identity), status: 200 };
}

/**
 * `POST /self-service/settings?flow=` and the resume `GET` (contract §4.4, §4.5): the processing
 * pipeline of §4.4.1 in its documented order.
 */
export async function submitSettings(
  deps: AppDeps,
  ctx: RequestContext,
  input: SubmitInput,
): Promise<Submitted> {
  // 1. Session first, before the flow parameter is even looked at.
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) {
    if (input.json)
      throw errors.sessionInactive("A valid Ory Session Cookie or Ory Session Token is missing.");
    return {
      outcome: { kind: "redirect", to: deps.config.ui.login, status: 302 },
      caller: { flowType: "browser", json: false },
    };
  }
  // 2–3. The flow, with the identity's pending address change the flow shows.
  const flowId = storedFlowId(requireFlowParam(input.flowId));
  const read =
    flowId === undefined ? undefined : await deps.store.getFlowAndPendingChange(flowId, active.identity.id);
  const flow = foundFlow(
    read?.flow,
    "settings",
    "The settings request could not be found. Please restart the flow.",
  );
  const caller: Caller = { flowType: flow.type, json: input.json };
  const submission = new Submission(deps, ctx, flow, active, caller, read?.pendingChange);
  return submitToFlow(deps, flow, caller, () => submission.run(input), submission);
}

/** One submission to a settings flow that was found (§4.4.1 steps 5–8). */
class Submission extends FlowSubmission {
  /** What the person submitted to which method, echoed when the flow is shown again. */
  #submitted: { method: string; values: Record<string, unknown> } | undefined;
  #transientPayload: Record<string, unknown> | undefined;
  /** Validate only: answer with the flow and its messages, write nothing (kit/dry-run.ts). */
  #dryRun = false;
  /** The identity's address change waiting for verification, shown in the flow. */
  #pending: AddressChangeRecord | undefined;

  constructor(
    deps: AppDeps,
    ctx: RequestContext,
    flow: FlowRecord,
    readonly active: ActiveSession,
    caller: Caller,
    pending: AddressChangeRecord | undefined,
  ) {
    super(deps, ctx, flow, caller);
    this.#pending = pending;
  }

  async run(input: SubmitInput): Promise<FlowOutcome> {
    const { deps, ctx, flow, active } = this;
    // 5. Validity: expiry, then ownership.
    if (isExpired(deps, flow) && flow.identityId === active.identity.id) return this.replaceExpired();
    if (flow.identityId !== active.identity.id) return { kind: "error", error: errors.identityMismatch() };

    // Resumption after a refresh login replays the paused payload through the normal checks.
    let values: FormValues;
    if (!input.readPayload) {
      const paused = await resumeSubmission(deps, ctx, active.identity.id, flow);
      if (!paused) return this.failGlobal(message(4010004));
      values = new Map(Object.entries(paused.values));
    } else {
      const read = await this.readValues(input);
      if (!read.ok) return read.outcome;
      values = read.value;
      this.#dryRun = takeDryRun(ctx, values);
    }

    // A browser sends only the clicked button: the cancel button comes without `method`.
    const named = values.get("method")?.[0];
    if (values.has(CANCEL_FIELD) && (named === undefined || named === "profile"))
      return this.cancelPending(values);

    // 6. Strategy dispatch.
    const strategy = await this.pick("settings", values, message(4010004));
    if (!strategy.ok) return strategy.outcome;
    return this.submit(strategy.value, values);
  }

  /** 7. The method decodes and validates; then CSRF, privilege, the method's decision, persist. */
  async submit(strategy: SettingsStrategy, values: FormValues): Promise<FlowOutcome> {
    const deps = this.#dryRun ? dryRunDeps(this.deps) : this.deps;
    const request: SettingsRequest = { deps, ctx: this.ctx, flow: this.flow, active: this.active };
    const prepared = await strategy.prepare(request, values);
    this.#submitted = { method: strategy.method, values: prepared.submitted };
    this.#transientPayload = prepared.transientPayload;
    if (prepared.step.kind === "issues") return this.fail(prepared.step.issues);

    const jsonBody = this.ctx.req.headers.get("content-type")?.split(";")[0]?.trim() === "application/json";
    if (!(prepared.csrfTokenOptionalForJson && jsonBody && !values.get("csrf_token")?.[0])) {
      const csrf = await this.csrfRefusal(values);
      if (csrf) return csrf;
    }

    if (prepared.step.protectedChange && !this.privileged && !this.#dryRun)
      return this.refreshRequired(strategy.method, values);
    const decision = await prepared.step.complete();
    if (decision.kind === "issues") return this.fail(decision.issues);
    if (decision.kind === "browser_location_change")
      return { kind: "browser_location_change", redirectTo: decision.to };
    return this.persist(strategy.method, decision.change, values, decision.authenticated);
  }

  get privileged(): boolean {
    return this.deps.sessions.isPrivileged(this.active.session);
  }

  /**
   * Success (contract §11.1): return_to still allowed, pre-persist hooks, the change committed in
   * one transaction against the identity's state at that moment, the flow rebuilt with message
   * 1050001, post-persist hooks, then the answer.
   */
  async persist(
    method: string,
    change: SettingsChange,
    values: FormValues,
    authenticated?: { method: string; provider?: string },
  ): Promise<FlowOutcome> {
    const { deps, flow, active } = this;
    // The allow list may have changed since the flow was created (contract §11.1 step 1).
    try {
      if (flow.returnTo) deps.returnTo.validate(flow.returnTo);
    } catch (err) {
      if (err instanceof HttpError && err.code === 400)
        return this.fail([{ path: "", message: reasonMessage(err) }]);
      throw err;
    }
    const proposed = change.apply(active.identity);
    if (!proposed.ok) return this.fail(proposed.issues);
    if (this.#dryRun) return this.dryRunAccepted();
    // The guard applies to what the change does, whatever the method declared up front.
    if (changeNeedsPrivilege(deps, active.identity, proposed.identity) && !this.privileged) {
      return this.refreshRequired(method, values);
    }
    // A new email address that must be verified first is held; the rest of the edit goes through.
    const hold = method === "profile" ? planHold(deps, active.identity, proposed.identity.traits) : undefined;
    if (hold?.kind === "too_many") return this.fail([{ path: "", message: message(4050002) }]);
    if (hold?.kind === "hold") return this.hold(hold, change);

    const { hooks, returnUrl } = afterFor(deps.config.raw.selfservice.flows.settings.after, method);
    // The flow is serialised for web hooks only when one runs: most settings have no hook.
    const submission = this;
    const pre = await runPreHooks(hooks, {
      deps,
      ctx: this.ctx,
      get flowJson() {
        return submission.hookFlowJson(proposed.identity);
      },
      identity: proposed.identity,
      session: active.session,
    });
    if (pre.kind === "reject") return this.fail(pre.issues);
    const patch = pre.patch;
    // The store re-runs the change on the current state; at the version it was decided on, that
    // state is the one `proposed` came from (every write bumps the version).
    const decided: SettingsChange["apply"] = (current) =>
      current.id === active.identity.id &&
      current.version !== undefined &&
      current.version === active.identity.version
        ? proposed
        : change.apply(current);
    const apply: SettingsChange["apply"] = patch
      ? (current) => {
          const changed = decided(current);
          return changed.ok ? applyIdentityPatch(deps, changed.identity, patch) : changed;
        }
      : decided;

    // The flow's success is written in the change's transaction (one commit instead of two),
    // rendered for the identity as written.
    const csrf = csrfFor(this.ctx, flow.type);
    const action = uiOf(flow).action;
    const now = deps.clock.now();
    let succeeded: FlowRecord | undefined;
    const committed = await this.commit({
      ...change,
      apply,
      events: eventsFor(deps, this.ctx, active.identity.id, "settings", { method }),
      flow: (written) => {
        succeeded = { ...flow, state: "success", updatedAt: now };
        setUi(succeeded, {
          action,
          method: "POST",
          nodes: settingsNodes(deps, written, csrf, undefined, this.#pending),
          messages: [message(1050001)],
        });
        return succeeded;
      },
    });
    if (committed.kind !== "committed") return committed.outcome;
    const identity = committed.identity;
    if (authenticated)
      active.session = await deps.sessions.refresh(
        active.session,
        authenticated.method,
        authenticated.provider,
      );
    deps.audit("settings.changed", { flow_id: flow.id, method, identity_id: identity.id }, this.ctx);
    if (succeeded) Object.assign(flow, succeeded);
    else {
      // A store that left the flow out of the transaction: written on its own, as it used to be.
      flow.state = "success";
      setUi(flow, {
        action,
        method: "POST",
        nodes: settingsNodes(deps, identity, csrf, undefined, this.#pending),
        messages: [message(1050001)],
      });
      flow.updatedAt = now;
      await deps.store.updateFlow(flow);
    }

    // `notify_previous_addresses` without a hold: the change went through; the old address may undo it.
    const edit = method === "profile" ? appliedEdit(deps, active.identity, identity) : undefined;
    if (edit) await recordAddressChange(deps, this.ctx, active.identity, edit, { status: "applied" });

    const verification = await runVerifier(deps, this.ctx, flow, identity);
    const post = await runPostHooks(hooks, {
      deps,
      ctx: this.ctx,
      get flowJson() {
        return submission.hookFlowJson(identity);
      },
      identity,
      session: active.session,
      method,
      issuesSession: false,
      ...(verification ? { verification } : {}),
    });
    const redirectTo =
      this.flow.returnTo ?? returnUrl ?? appendQuery(deps.config.ui.settings, { flow: flow.id });
    const continueWith: ContinueWith[] = [...post.continueWith];
    if (flow.type === "browser") {
      continueWith.push({ action: "redirect_browser_to", redirect_browser_to: redirectTo });
      // The session cookie is issued again on success (contract §11.2).
      deps.sessions.setCookie(this.ctx, active.session);
    }
    return { kind: "success", body: settingsFlowJson(deps, flow, identity, continueWith), redirectTo };
  }

  /** A dry run that would have been accepted: the flow with the submission echoed and 1900001, not stored. */
  dryRunAccepted(): FlowOutcome {
    const { deps, flow, active } = this;
    setUi(flow, {
      action: uiOf(flow).action,
      method: "POST",
      nodes: settingsNodes(
        deps,
        active.identity,
        csrfFor(this.ctx, flow.type),
        this.#submitted,
        this.#pending,
      ),
      messages: [message(1900001)],
    });
    return { kind: "form", flow, body: settingsFlowJson(deps, flow, active.identity), status: 200 };
  }

  /** Commits the change; anything that prevents it is answered here and writes nothing. */
  async commit(
    change: SettingsChange & Pick<IdentityChange, "events" | "flow">,
  ): Promise<{ kind: "committed"; identity: FullIdentity } | { kind: "refused"; outcome: FlowOutcome }> {
    const refuse = async (outcome: Promise<FlowOutcome> | FlowOutcome) => ({
      kind: "refused" as const,
      outcome: await outcome,
    });
    try {
      const result = await commitIdentityChange(this.deps, {
        ...change,
        decidedOn: this.active.identity,
        sessionId: this.active.session.id,
      });
      switch (result.kind) {
        case "committed":
          return { kind: "committed", identity: result.identity };
        case "rejected":
          return refuse(this.fail(result.issues));
        case "conflict":
          // Show what the account holds now, not what was submitted.
          this.#submitted = undefined;
          return refuse(
            this.fail(
              [{ path: "", message: message(4000001, [CHANGED_MEANWHILE], { reason: CHANGED_MEANWHILE }) }],
              result.current,
            ),
          );
        case "session_inactive":
        case "identity_inactive":
        case "not_found":
          return refuse({
            kind: "error",
            error: errors.sessionInactive("A valid Ory Session Cookie or Ory Session Token is missing."),
          });
      }
    } catch (err) {
      if (err instanceof ConflictError) return refuse(this.fail([{ path: "", message: message(4000007) }]));
      throw err;
    }
  }

  /**
   * A profile change of an address that must be verified first (`verify_new_address` or the
   * `verified` trait rule): the other traits are saved now; the address is held as a pending change
   * whose verification flow goes to the new address, and the old one is told (docs). Like Kratos's
   * hook, JSON callers get the settings flow with `continue_with` pointing at the verification
   * flow, browsers are sent to it.
   */
  async hold(
    hold: Extract<ReturnType<typeof planHold>, { kind: "hold" }>,
    change: SettingsChange,
  ): Promise<FlowOutcome> {
    const { deps, flow, active } = this;
    if (!deps.config.raw.selfservice.flows.verification.enabled)
      return this.fail([{ path: hold.edit.trait, message: message(4900005) }]);
    let identity = active.identity;
    const rest = withTraits(deps, identity, hold.traits);
    if (!rest.ok) return this.fail(rest.issues);
    if (!isDeepStrictEqual(rest.identity.traits, identity.traits)) {
      const { hooks } = afterFor(deps.config.raw.selfservice.flows.settings.after, "profile");
      const pre = await runPreHooks(hooks, {
        deps,
        ctx: this.ctx,
        flowJson: this.hookFlowJson(rest.identity),
        identity: rest.identity,
        session: active.session,
      });
      if (pre.kind === "reject") return this.fail(pre.issues);
      const committed = await this.commit({
        dependsOn: change.dependsOn,
        // The held address keeps what the account holds at commit time.
        apply: (current) => {
          const changed = change.apply(current);
          if (!changed.ok) return changed;
          const next = withTraits(
            deps,
            current,
            keepTrait(changed.identity.traits, current.traits, hold.edit.trait),
          );
          if (!next.ok || !pre.patch) return next;
          return applyIdentityPatch(deps, next.identity, pre.patch);
        },
        events: eventsFor(deps, this.ctx, active.identity.id, "settings", { method: "profile" }),
      });
      if (committed.kind !== "committed") return committed.outcome;
      identity = committed.identity;
    }
    const changeId = crypto.randomUUID();
    const verification = await startVerificationFor(
      deps,
      this.ctx,
      flow,
      identity,
      { value: hold.edit.newValue, via: "email" },
      { [ADDRESS_CHANGE_KEY]: changeId },
    );
    this.#pending = await recordAddressChange(deps, this.ctx, active.identity, hold.edit, {
      id: changeId,
      status: "pending",
      verificationFlowId: verification.flow.id,
      sessionId: active.session.id,
    });
    deps.audit(
      "settings.changed",
      { flow_id: flow.id, method: "profile", identity_id: identity.id },
      this.ctx,
    );
    this.#submitted = undefined;
    setUi(flow, {
      action: uiOf(flow).action,
      method: "POST",
      nodes: settingsNodes(deps, identity, csrfFor(this.ctx, flow.type), undefined, this.#pending),
      messages: [pendingMessage(this.#pending)],
    });
    flow.updatedAt = deps.clock.now();
    await deps.store.updateFlow(flow);
    const url = appendQuery(deps.config.ui.verification, { flow: verification.flow.id });
    const item = {
      ...verification,
      flow: { ...verification.flow, ...(flow.type === "browser" ? { url } : {}) },
    };
    return {
      kind: "success",
      body: settingsFlowJson(deps, flow, identity, [item]),
      redirectTo: url,
    };
  }

  /** `cancel_pending_address`: withdraws the pending change (CSRF-checked; no privilege needed). */
  async cancelPending(values: FormValues): Promise<FlowOutcome> {
    const { deps, flow, active } = this;
    if (this.#dryRun) return this.dryRunAccepted();
    const csrf = await this.csrfRefusal(values);
    if (csrf) return csrf;
    const cancelled = await cancelPending(deps, this.ctx, active.identity.id, "settings");
    this.#pending = undefined;
    setUi(flow, {
      action: uiOf(flow).action,
      method: "POST",
      nodes: settingsNodes(deps, active.identity, csrfFor(this.ctx, flow.type)),
      messages: [cancelled ? message(1900004) : message(4900005)],
    });
    flow.updatedAt = deps.clock.now();
    await deps.store.updateFlow(flow);
    return {
      kind: "form",
      flow,
      body: settingsFlowJson(deps, flow, active.identity),
      status: cancelled ? 200 : 400,
    };
  }

  /** The flow as web hooks see it: with the submission's transient_payload (contract §2.1). */
  hookFlowJson(identity: FullIdentity) {
    return {
      ...settingsFlowJson(this.deps, this.flow, identity),
      ...(this.#transientPayload ? { transient_payload: this.#transientPayload } : {}),
    };
  }

  /**
   * The session is too old for this change (contract §10.3). Browser flows keep the submission for
   * after the refresh login; api flows only learn where to re-authenticate (no cookies for them).
   */
  async refreshRequired(method: string, values: FormValues): Promise<FlowOutcome> {
    const { deps, flow } = this;
    const returnTo = new URL(`self-service/settings?flow=${flow.id}`, deps.config.publicBase).toString();
    const login = new URL("self-service/login/browser", deps.config.publicBase);
    login.searchParams.set("refresh", "true");
    login.searchParams.set("return_to", returnTo);
    if (flow.type === "browser") {
      await pauseSubmission(deps, this.ctx, this.active.identity.id, flow, {
        method,
        values: Object.fromEntries(values),
      });
    }
    return { kind: "refresh_required", redirectTo: login.toString() };
  }

  /** A submission to an expired flow gets a new flow with message 4050001 (contract §12.1). */
  async replaceExpired(): Promise<FlowOutcome> {
    const { deps, ctx, flow, active } = this;
    const { args, context } = expiredMessageArgs(deps, flow);
    const replacement = await startFlow(deps, ctx, active, {
      type: flow.type,
      requestUrl: flow.requestUrl,
      ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
      messages: [message(4050001, args, context)],
    });
    if (this.caller.json || flow.type === "api")
      return { kind: "error", error: expiredError(deps, flow, replacement.id) };
    return {
      kind: "form",
      flow: replacement,
      body: settingsFlowJson(deps, replacement, active.identity),
      status: 400,
    };
  }

  /**
   * Renders issues into the flow and answers 400 (contract §3.7, §8.1): the nodes are rebuilt for
   * the identity with the submission echoed and a fresh CSRF token; old messages go.
   */
  override async fail(issues: readonly FlowIssue[], identity = this.active.identity): Promise<FlowOutcome> {
    const { deps, flow } = this;
    const ui = {
      action: uiOf(flow).action,
      method: "POST",
      nodes: settingsNodes(deps, identity, csrfFor(this.ctx, flow.type), this.#submitted, this.#pending),
    };
    const rendered = renderError(ui, issues);
    rendered.nodes = sortNodes(rendered.nodes, formsOf(deps, identity.schemaId).keyOrder);
    setUi(flow, rendered);
    flow.updatedAt = deps.clock.now();
    if (!this.#dryRun) await deps.store.updateFlow(flow);
    return { kind: "form", flow, body: settingsFlowJson(deps, flow, identity), status: 400 };
  }

  /** Renders one global message into the flow (keeping node values) and returns the 400 form. */
  override async failGlobal(text: UiText): Promise<FlowOutcome> {
    const { deps, flow } = this;
    const ui = uiOf(flow);
    ui.nodes = ui.nodes.map((n) => ({ ...n, messages: [] }));
    ui.messages = [text];
    refreshCsrf(this.ctx, flow);
    flow.updatedAt = deps.clock.now();
    if (!this.#dryRun) await deps.store.updateFlow(flow);
    return { kind: "form", flow, body: settingsFlowJson(deps, flow, this.active.identity), status: 400 };
  }
}
