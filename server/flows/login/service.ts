import type { LoginFlowJson } from "#shared/flows.ts";
import type { UiNode, UiText } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity, SessionRecord } from "../../../db/store.ts";
import { eventsFor, recordEvents } from "../../account/history.ts";
import { cancelDeletionOnSignIn } from "../../account/service.ts";
import type { AppDeps } from "../../deps.ts";
import { runBeforeHooks, runPostHooks, runPreHooks, unverifiedLogin } from "../../hooks/run.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import type { ActiveSession } from "../../session/service.ts";
import { toRfc3339 } from "../../time.ts";
import { message } from "../../ui/messages.ts";
import { csrfNode } from "../../ui/nodes.ts";
import { afterFor } from "../kit/after.ts";
import { clearMessages, type FlowIssue, renderError } from "../kit/form.ts";
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
  fetchFlow,
  flowCommonJson,
  isExpired,
  loadFlow,
  newFlow,
  requireFlowParam,
  setUi,
  uiOf,
} from "../kit/record.ts";
import { claimFlow, isUsed } from "../kit/single-use.ts";
import { FlowSubmission } from "../kit/submission.ts";
import { strategiesOf } from "../methods.ts";
import { verificationRequired } from "../verification/verifier.ts";
import type { LoginStrategy } from "./strategy.ts";

/**
 * The login flow engine (contract §16.1) for browsers, SPAs and native apps. Methods contribute
 * through their `LoginStrategy`; validity, CSRF, the identity's state, hooks, the single use of a
 * flow and issuing the session live here.
 */

export interface LoginInit {
  type: "browser" | "api";
  refresh: boolean;
  aal: string | null;
  returnTo: string | null;
}

const alreadySignedIn = () =>
  errors.sessionAlreadyAvailable(
    "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?",
  );

export function loginFlowJson(flow: FlowRecord): LoginFlowJson {
  return {
    ...flowCommonJson(flow),
    created_at: toRfc3339(flow.createdAt),
    updated_at: toRfc3339(flow.updatedAt),
    refresh: flow.data.refresh === true,
    requested_aal: (flow.data.requested_aal as "aal1" | "aal2") ?? "aal1",
    state: flow.state,
    organization_id: null,
  };
}

/**
 * Creates a login flow (contract §16.1). A signed-in caller without `refresh` is "already signed in";
 * with `refresh=true` the flow re-authenticates the same identity.
 */
export async function createLoginFlow(
  deps: AppDeps,
  ctx: RequestContext,
  init: LoginInit,
  caller: Caller,
  messages: UiText[] = [],
): Promise<FlowOutcome> {
  if (init.aal && init.aal !== "aal1" && init.aal !== "aal2") {
    throw errors.badRequest(
      `Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of [aal1, aal2] but got ${init.aal}`,
    );
  }
  const active = await deps.sessions.fromRequest(ctx);
  if (!active && init.aal === "aal2") {
    throw errors.sessionAal1Required(
      "You can not requested a higher AAL (AAL2/AAL3) without an active session.",
    );
  }
  const returnTo = init.returnTo ? deps.returnTo.validate(init.returnTo) : undefined;
  const refresh = init.refresh && !!active;
  if (active && !refresh) {
    if (caller.json || caller.flowType === "api") return { kind: "error", error: alreadySignedIn() };
    return { kind: "redirect", to: returnTo ?? deps.config.defaultReturnUrl };
  }
  const flow = buildLoginFlow(deps, ctx, {
    type: init.type,
    refresh,
    identity: refresh ? active!.identity : undefined,
    returnTo,
    messages: refresh ? [message(1010003), ...messages] : messages,
  });
  await runBeforeHooks(deps.config.raw.selfservice.flows.login.before.hooks, {
    deps,
    ctx,
    flowJson: loginFlowJson(flow),
  });
  await deps.store.createFlow(flow);
  return { kind: "form", flow, body: loginFlowJson(flow), status: 200 };
}

function loginNodes(
  deps: AppDeps,
  ctx: RequestContext,
  type: "browser" | "api",
  refreshing?: FullIdentity,
): UiNode[] {
  const nodes: UiNode[] = [csrfNode(type === "browser" ? ctx.maskedCsrf() : "")];
  for (const strategy of strategiesOf(deps.methods, deps.config, "login"))
    nodes.push(...strategy.nodes(deps, refreshing));
  return nodes;
}

function buildLoginFlow(
  deps: AppDeps,
  ctx: RequestContext,
  opts: {
    type: "browser" | "api";
    refresh: boolean;
    identity: FullIdentity | undefined;
    returnTo: string | undefined;
    messages: UiText[];
    requestUrl?: string;
  },
): FlowRecord {
  return newFlow(deps, {
    kind: "login",
    type: opts.type,
    lifespanMs: deps.config.ms.loginLifespan,
    state: "choose_method",
    requestUrl: opts.requestUrl ?? ctx.requestUrl,
    returnTo: opts.returnTo,
    nodes: loginNodes(deps, ctx, opts.type, opts.refresh ? opts.identity : undefined),
    messages: opts.messages,
    data: { refresh: opts.refresh, requested_aal: "aal1" },
    identityId: opts.identity?.id ?? null,
  });
}

/** Fetches a login flow; browser flows need the CSRF cookie they were made with (contract §16.1). */
export async function getLoginFlow(
  deps: AppDeps,
  ctx: RequestContext,
  id: string | null,
): Promise<FlowRecord> {
  return fetchFlow(deps, ctx, "login", id);
}

/** Submits a login flow (contract §16.1). */
export async function submitLogin(
  deps: AppDeps,
  ctx: RequestContext,
  input: SubmitInput,
): Promise<Submitted> {
  const flow = await loadFlow(
    deps,
    "login",
    requireFlowParam(input.flowId),
    "The login request could not be found. Please restart the flow.",
  );
  const caller: Caller = { flowType: flow.type, json: input.json };
  const submission = new LoginSubmission(deps, ctx, flow, caller);
  return submitToFlow(deps, flow, caller, () => submission.run(input), submission);
}

class LoginSubmission extends FlowSubmission {
  #echo: Record<string, string> = {};

  async run(input: SubmitInput): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const active = await deps.sessions.fromRequest(ctx);
    const refresh = flow.data.refresh === true;
    if (active && !refresh) {
      if (this.json) return { kind: "error", error: alreadySignedIn() };
      return { kind: "redirect", to: deps.config.defaultReturnUrl };
    }
    if (isExpired(deps, flow)) return this.replaceExpired(refresh ? active : undefined);

    const values = await this.readValues(input, { methodFirst: true });
    if (!values.ok) return values.outcome;
    if (isUsed(flow)) return this.failGlobal(message(4010002));
    const strategy = await this.pick("login", values.value, message(4010002));
    if (!strategy.ok) return strategy.outcome;
    return this.submit(strategy.value, values.value, active);
  }

  async submit(
    strategy: LoginStrategy,
    values: FormValues,
    active: ActiveSession | undefined,
  ): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const prepared = strategy.prepare({ deps, ctx, flow }, values);
    this.#echo = prepared.echo;
    if (prepared.step.kind === "issues") return this.fail(prepared.step.issues);
    const csrf = await this.csrfRefusal(values);
    if (csrf) return csrf;

    const result = await prepared.step.authenticate();
    // One audit event for every refusal of the credentials: it never says which part was wrong.
    const failed = () =>
      deps.audit(
        "login.failed",
        { flow_id: flow.id, method: strategy.method, identifier: this.#echo.identifier },
        ctx,
      );
    if (result.kind === "issues") {
      failed();
      return this.fail(result.issues);
    }
    if (result.kind === "browser_location_change")
      return { kind: "browser_location_change", redirectTo: result.to };
    if (result.kind === "outcome") return result.outcome;
    let { identity } = result;
    if (identity.state !== "active") {
      failed();
      return this.fail([{ path: "", message: message(4010011) }]);
    }
    for (const m of deps.methods)
      if (m.onLogin && m.enabled(deps.config)) identity = await m.onLogin(deps, flow, identity);

    const { hooks, returnUrl } = afterFor(deps.config.raw.selfservice.flows.login.after, strategy.method);
    if (unverifiedLogin(hooks, identity)) {
      const required = await verificationRequired(deps, ctx, flow, identity, this.json);
      if (required !== "legacy") return required;
      return this.fail([{ path: "", message: message(4000010) }]);
    }
    const pre = await runPreHooks(hooks, { deps, ctx, flowJson: loginFlowJson(flow), identity });
    if (pre.kind === "reject") return this.fail(pre.issues);

    // Claimed before the session is issued, so that of concurrent submissions exactly one signs in.
    if (!(await claimFlow(deps, flow))) return this.fail([{ path: "", message: message(4010002) }]);
    // Re-authenticating the same identity keeps its session; anyone else gets a new one (and a new
    // CSRF cookie), and a previous session of another identity ends (contract §16.1).
    let session: SessionRecord;
    const reauthenticated = active && active.identity.id === identity.id ? active.session : undefined;
    if (reauthenticated) {
      session = await deps.sessions.refresh(reauthenticated, strategy.method, result.provider);
      await recordEvents(deps, ctx, identity.id, "login", { method: strategy.method });
    } else {
      if (active) await deps.store.revokeSession(active.session.id);
      session = await deps.sessions.create(
        identity,
        strategy.method,
        ctx,
        result.provider,
        eventsFor(deps, ctx, identity.id, "login", { method: strategy.method }),
      );
    }
    let post: Awaited<ReturnType<typeof runPostHooks>>;
    try {
      post = await runPostHooks(hooks, {
        deps,
        ctx,
        flowJson: loginFlowJson(flow),
        identity,
        session,
        method: strategy.method,
        issuesSession: false,
      });
    } catch (err) {
      // Kratos runs every login after-hook before it stores the session, so a failing hook (a web
      // hook's 502, say) leaves no sign-in behind: undo the new session or the re-authentication.
      if (reauthenticated) await deps.store.updateSession(reauthenticated);
      else await deps.store.revokeSession(session.id);
      throw err;
    }
    await cancelDeletionOnSignIn(deps, ctx, identity.id);
    if (!reauthenticated && flow.type === "browser") ctx.rotateCsrf();
    deps.audit(
      "login.succeeded",
      {
        flow_id: flow.id,
        method: strategy.method,
        identity_id: identity.id,
        session_id: session.id,
        refresh: !!reauthenticated,
      },
      ctx,
    );

    const redirectTo =
      flow.returnTo ?? returnToOf(deps, flow.requestUrl) ?? returnUrl ?? deps.config.defaultReturnUrl;
    const sessionJson = deps.sessions.toJson(session, identity);
    if (flow.type === "api") {
      return {
        kind: "success",
        body: { session_token: session.token, session: sessionJson, continue_with: post.continueWith },
        redirectTo,
      };
    }
    deps.sessions.setCookie(ctx, session);
    return {
      kind: "success",
      body: {
        session: sessionJson,
        continue_with: [
          ...post.continueWith,
          { action: "redirect_browser_to", redirect_browser_to: redirectTo },
        ],
      },
      redirectTo,
    };
  }

  async replaceExpired(active: ActiveSession | undefined): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const { args, context } = expiredMessageArgs(deps, flow);
    const refresh = flow.data.refresh === true && !!active;
    const replacement = buildLoginFlow(deps, ctx, {
      type: flow.type,
      refresh,
      identity: refresh ? active?.identity : undefined,
      returnTo: flow.returnTo ?? undefined,
      messages: [message(4010001, args, context)],
      requestUrl: flow.requestUrl,
    });
    await deps.store.createFlow(replacement);
    if (this.json) return { kind: "error", error: expiredError(deps, flow, replacement.id) };
    return { kind: "form", flow: replacement, body: loginFlowJson(replacement), status: 400 };
  }

  /** The flow again with the messages, the submitted identifier kept and a fresh CSRF token. */
  async fail(issues: readonly FlowIssue[]): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const ui = clearMessages(uiOf(flow));
    renderError(ui, issues);
    for (const n of ui.nodes) {
      const a = n.attributes;
      if (a.node_type !== "input") continue;
      if (a.name === "csrf_token" && flow.type === "browser") a.value = ctx.maskedCsrf();
      else if (a.type !== "hidden" && this.#echo[a.name] !== undefined) a.value = this.#echo[a.name];
    }
    setUi(flow, ui);
    flow.updatedAt = deps.clock.now();
    await deps.store.updateFlow(flow);
    return { kind: "form", flow, body: loginFlowJson(flow), status: 400 };
  }
}

function returnToOf(deps: AppDeps, requestUrl: string): string | undefined {
  try {
    return deps.returnTo.fromUrl(new URL(requestUrl));
  } catch {
    return undefined;
  }
}
