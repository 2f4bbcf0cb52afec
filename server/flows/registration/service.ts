import type { ContinueWith, RegistrationFlowJson } from "#shared/flows.ts";
import type { UiNode, UiText } from "#shared/ui.ts";
import { ConflictError, type FlowRecord, type FullIdentity } from "../../../db/store.ts";
import { eventsFor } from "../../account/history.ts";
import type { AppDeps } from "../../deps.ts";
import { applyIdentityPatch } from "../../hooks/identity-patch.ts";
import { runBeforeHooks, runPostHooks, runPreHooks } from "../../hooks/run.ts";
import { formsOf } from "../../identity/forms.ts";
import { identityToJson } from "../../identity/serialize.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import { message } from "../../ui/messages.ts";
import { csrfNode } from "../../ui/nodes.ts";
import { sortNodes } from "../../ui/sort.ts";
import { afterFor } from "../kit/after.ts";
import { dryRunDeps, takeDryRun } from "../kit/dry-run.ts";
import { type FlowIssue, renderError } from "../kit/form.ts";
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
import { rebindVerificationCsrf, runVerifier } from "../verification/verifier.ts";
import type { RegistrationStrategy } from "./strategy.ts";

/**
 * The registration flow engine (contract §16.2). Methods contribute through their
 * `RegistrationStrategy`; validity, CSRF, hooks, creating the identity in one transaction and
 * issuing the session (the `session` hook) live here.
 */

const alreadySignedIn = () =>
  errors.sessionAlreadyAvailable("A valid session was detected and thus registration is not possible.");

const disabled = () => errors.flowDisabled("Registration is not allowed because it was disabled.");

export function registrationFlowJson(flow: FlowRecord): RegistrationFlowJson {
  return { ...flowCommonJson(flow), state: flow.state, organization_id: null };
}

/** The CSRF node and every enabled method's nodes, sorted by the default schema's key order. */
function registrationNodes(
  deps: AppDeps,
  csrf: string,
  submitted?: { method: string; values: Record<string, unknown> },
): UiNode[] {
  const nodes: UiNode[] = [csrfNode(csrf)];
  for (const strategy of strategiesOf(deps.methods, deps.config, "registration")) {
    nodes.push(...strategy.nodes(deps, submitted?.method === strategy.method ? submitted.values : undefined));
  }
  return sortNodes(nodes, formsOf(deps, deps.registry.defaultId).keyOrder);
}

function buildFlow(
  deps: AppDeps,
  ctx: RequestContext,
  type: "browser" | "api",
  returnTo: string | undefined,
  messages: UiText[],
  requestUrl = ctx.requestUrl,
) {
  return newFlow(deps, {
    kind: "registration",
    type,
    lifespanMs: deps.config.ms.registrationLifespan,
    state: "choose_method",
    requestUrl,
    returnTo,
    nodes: registrationNodes(deps, type === "browser" ? ctx.maskedCsrf() : ""),
    messages,
  });
}

export async function createRegistrationFlow(
  deps: AppDeps,
  ctx: RequestContext,
  type: "browser" | "api",
  returnToParam: string | null,
  caller: Caller,
): Promise<FlowOutcome> {
  if (!deps.config.raw.selfservice.flows.registration.enabled) throw disabled();
  const returnTo = returnToParam ? deps.returnTo.validate(returnToParam) : undefined;
  if (await deps.sessions.fromRequest(ctx)) {
    if (caller.json || type === "api") return { kind: "error", error: alreadySignedIn() };
    return { kind: "redirect", to: returnTo ?? deps.config.defaultReturnUrl };
  }
  const flow = buildFlow(deps, ctx, type, returnTo, []);
  await runBeforeHooks(deps.config.raw.selfservice.flows.registration.before.hooks, {
    deps,
    ctx,
    flowJson: registrationFlowJson(flow),
  });
  await deps.store.createFlow(flow);
  return { kind: "form", flow, body: registrationFlowJson(flow), status: 200 };
}

export async function getRegistrationFlow(
  deps: AppDeps,
  ctx: RequestContext,
  id: string | null,
): Promise<FlowRecord> {
  return fetchFlow(deps, ctx, "registration", id);
}

/** Submits a registration flow (contract §16.2). */
export async function submitRegistration(
  deps: AppDeps,
  ctx: RequestContext,
  input: SubmitInput,
): Promise<Submitted> {
  if (!deps.config.raw.selfservice.flows.registration.enabled) throw disabled();
  const flow = await loadFlow(
    deps,
    "registration",
    requireFlowParam(input.flowId),
    "The registration request could not be found. Please restart the flow.",
  );
  const caller: Caller = { flowType: flow.type, json: input.json };
  const submission = new RegistrationSubmission(deps, ctx, flow, caller);
  return submitToFlow(deps, flow, caller, () => submission.run(input), submission);
}

class RegistrationSubmission extends FlowSubmission {
  #submitted: { method: string; values: Record<string, unknown> } | undefined;
  #transientPayload: Record<string, unknown> | undefined;
  /** Validate only: answer with the flow and its messages, write nothing (kit/dry-run.ts). */
  #dryRun = false;

  async run(input: SubmitInput): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    if (await deps.sessions.fromRequest(ctx)) {
      if (this.json) return { kind: "error", error: alreadySignedIn() };
      return { kind: "redirect", to: deps.config.defaultReturnUrl };
    }
    if (isExpired(deps, flow)) return this.replaceExpired();

    const values = await this.readValues(input, { methodFirst: true });
    if (!values.ok) return values.outcome;
    this.#dryRun = takeDryRun(ctx, values.value);
    if (isUsed(flow)) return this.failGlobal(message(4010003));
    const strategy = await this.pick("registration", values.value, message(4010003));
    if (!strategy.ok) return strategy.outcome;
    return this.submit(strategy.value, values.value);
  }

  async submit(strategy: RegistrationStrategy, values: FormValues): Promise<FlowOutcome> {
    const { ctx, flow } = this;
    const deps = this.#dryRun ? dryRunDeps(this.deps) : this.deps;
    const prepared = await strategy.prepare({ deps, ctx, flow }, values);
    this.#submitted = { method: strategy.method, values: prepared.submitted };
    this.#transientPayload = prepared.transientPayload;
    if (prepared.step.kind === "issues") return this.fail(prepared.step.issues);
    const csrf = await this.csrfRefusal(values);
    if (csrf) return csrf;

    const decided = await prepared.step.complete();
    if (decided.kind === "issues") return this.fail(decided.issues);
    if (decided.kind === "browser_location_change")
      return { kind: "browser_location_change", redirectTo: decided.to };
    if (this.#dryRun) return this.dryRunAccepted();
    if (decided.kind === "outcome") return decided.answer({ flowType: this.flow.type, json: this.json });

    const { hooks, returnUrl } = afterFor(
      deps.config.raw.selfservice.flows.registration.after,
      strategy.method,
    );
    let identity = decided.identity;
    const pre = await runPreHooks(hooks, { deps, ctx, flowJson: this.hookFlowJson(), identity });
    if (pre.kind === "reject") return this.fail(pre.issues);
    if (pre.patch) {
      const patched = applyIdentityPatch(deps, identity, pre.patch);
      if (!patched.ok) return this.fail(patched.issues);
      identity = patched.identity;
    }

    // Claimed before the identity is created, so that of concurrent submissions exactly one creates.
    const release = await claimFlow(deps, flow);
    if (!release) return this.fail([{ path: "", message: message(4010003) }]);
    try {
      identity = await deps.store.createIdentity(
        identity,
        eventsFor(deps, ctx, identity.id, "registration", { method: strategy.method }),
      );
    } catch (err) {
      await release();
      if (err instanceof ConflictError) return this.fail([{ path: "", message: message(4000007) }]);
      throw err;
    }
    deps.audit(
      "registration.succeeded",
      { flow_id: flow.id, method: strategy.method, identity_id: identity.id },
      ctx,
    );
    return this.succeed(strategy.method, identity, hooks, returnUrl, decided.provider);
  }

  /** Post-persist hooks (the `session` hook signs the new identity in), then the answer (§16.2). */
  async succeed(
    method: string,
    identity: FullIdentity,
    hooks: Parameters<typeof runPostHooks>[0],
    returnUrl: string | undefined,
    provider?: string,
  ): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const verification = await runVerifier(deps, ctx, flow, identity);
    const post = await runPostHooks(hooks, {
      deps,
      ctx,
      flowJson: this.hookFlowJson(),
      identity,
      method,
      ...(provider ? { provider } : {}),
      issuesSession: true,
      ...(verification ? { verification } : {}),
    });
    const session = post.session;
    if (session && flow.type === "browser") {
      ctx.rotateCsrf();
      deps.sessions.setCookie(ctx, session);
      await rebindVerificationCsrf(deps, ctx, verification);
    }
    const redirectTo = flow.returnTo ?? returnUrl ?? deps.config.defaultReturnUrl;
    // `show_verification_ui` sends a browser (not an SPA) on to the verification UI (Kratos).
    const browserTo = (!this.json && post.verificationUrl) || redirectTo;
    const identityJson = identityToJson(identity, {
      publicBaseUrl: deps.config.publicBase,
      traitPolicy: formsOf(deps, identity.schemaId).traitPolicy,
    });
    const continueWith: ContinueWith[] = [...post.continueWith];
    if (flow.type === "api") {
      if (!session)
        return { kind: "success", body: { identity: identityJson, continue_with: continueWith }, redirectTo };
      continueWith.push({ action: "set_ory_session_token", ory_session_token: session.token });
      return {
        kind: "success",
        body: {
          session_token: session.token,
          session: deps.sessions.toJson(session, identity),
          identity: identityJson,
          continue_with: continueWith,
        },
        redirectTo,
      };
    }
    continueWith.push({ action: "redirect_browser_to", redirect_browser_to: redirectTo });
    return {
      kind: "success",
      body: {
        identity: identityJson,
        ...(session ? { session: deps.sessions.toJson(session, identity) } : {}),
        continue_with: continueWith,
      },
      redirectTo: browserTo,
    };
  }

  hookFlowJson() {
    return {
      ...registrationFlowJson(this.flow),
      ...(this.#transientPayload ? { transient_payload: this.#transientPayload } : {}),
    };
  }

  async replaceExpired(): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const { args, context } = expiredMessageArgs(deps, flow);
    const replacement = buildFlow(
      deps,
      ctx,
      flow.type,
      flow.returnTo ?? undefined,
      [message(4040001, args, context)],
      flow.requestUrl,
    );
    await deps.store.createFlow(replacement);
    if (this.json) return { kind: "error", error: expiredError(deps, flow, replacement.id) };
    return { kind: "form", flow: replacement, body: registrationFlowJson(replacement), status: 400 };
  }

  /** The flow rebuilt with the submission echoed, the messages and a fresh CSRF token. */
  async fail(issues: readonly FlowIssue[]): Promise<FlowOutcome> {
    const { deps, ctx, flow } = this;
    const fresh = {
      action: uiOf(flow).action,
      method: "POST",
      nodes: registrationNodes(deps, flow.type === "browser" ? ctx.maskedCsrf() : "", this.#submitted),
    };
    const rendered = renderError(fresh, issues);
    rendered.nodes = sortNodes(rendered.nodes, formsOf(deps, deps.registry.defaultId).keyOrder);
    setUi(flow, rendered);
    flow.updatedAt = deps.clock.now();
    if (!this.#dryRun) await deps.store.updateFlow(flow);
    return { kind: "form", flow, body: registrationFlowJson(flow), status: 400 };
  }

  /** A dry run that would have been accepted: the flow with the submission echoed and 1900001, not stored. */
  dryRunAccepted(): FlowOutcome {
    const { deps, ctx, flow } = this;
    setUi(flow, {
      action: uiOf(flow).action,
      method: "POST",
      nodes: registrationNodes(deps, flow.type === "browser" ? ctx.maskedCsrf() : "", this.#submitted),
      messages: [message(1900001)],
    });
    return { kind: "form", flow, body: registrationFlowJson(flow), status: 200 };
  }
}
