import { USED_FLOW_STATE } from "../../../db/flow-state.ts";
import { ConflictError, type FlowRecord, type FullIdentity, type SessionRecord } from "../../../db/store.ts";
import type { ContinueWith, RegistrationFlowJson } from "../../../shared/flows.ts";
import type { UiNode, UiText } from "../../../shared/ui.ts";
import type { AppDeps } from "../../deps.ts";
import type { SchemaForms } from "../../identity/forms.ts";
import { newIdentity, passwordIdentifiers, withPassword } from "../../identity/manager.ts";
import { identityToJson } from "../../identity/serialize.ts";
import { checkMaxLength } from "../../methods/password/policy.ts";
import type { ParsedBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { assertCsrf, assertNotBrowser } from "../../request/csrf.ts";
import { HttpError } from "../../request/errors.ts";
import { message } from "../../ui/messages.ts";
import { csrfNode, inputNode } from "../../ui/nodes.ts";
import { profileNodes } from "../../ui/profile-nodes.ts";
import { sortNodes } from "../../ui/sort.ts";
import { bodyField, type FlowIssue, renderError } from "../form.ts";
import { methodDisabled, reasonMessageOf } from "../login/service.ts";
import type { Caller, FlowOutcome } from "../outcome.ts";
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
} from "../record.ts";
import { toFormValues } from "../values.ts";

const alreadySignedIn = () =>
  new HttpError(400, {
    id: "session_already_available",
    reason: "A valid session was detected and thus registration is not possible.",
  });

const disabled = () =>
  new HttpError(400, {
    id: "self_service_flow_disabled",
    reason: "Registration is not allowed because it was disabled.",
  });

export function registrationFlowJson(flow: FlowRecord): RegistrationFlowJson {
  return { ...flowCommonJson(flow), state: flow.state, organization_id: null };
}

function formsOf(deps: AppDeps): SchemaForms {
  return deps.forms.get(deps.registry.defaultId)!;
}

/** One-step password registration nodes: traits (group default), password and "Sign up". */
function registrationNodes(
  deps: AppDeps,
  csrf: string,
  traits: Record<string, unknown> | undefined,
): UiNode[] {
  const forms = formsOf(deps);
  const traitNodes = profileNodes(forms.profileNodes, traits)
    .filter((n) => n.attributes.name !== "method")
    .map((n) => ({ ...n, group: "default" as const }));
  const nodes: UiNode[] = [csrfNode(csrf), ...traitNodes];
  if (deps.config.raw.selfservice.methods.password.enabled) {
    nodes.push(
      inputNode("password", "password", "password", {
        required: true,
        autocomplete: "new-password",
        label: message(1070001),
      }),
      inputNode("password", "method", "submit", { value: "password", label: message(1040001) }),
    );
  }
  return sortNodes(nodes, forms.keyOrder);
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
    nodes: registrationNodes(deps, type === "browser" ? ctx.maskedCsrf() : "", undefined),
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
    return { kind: "success", body: undefined, redirectTo: returnTo ?? deps.config.defaultReturnUrl };
  }
  const flow = buildFlow(deps, ctx, type, returnTo, []);
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

/** Submits a one-step password registration (contract §16.2). */
export async function submitRegistration(
  deps: AppDeps,
  ctx: RequestContext,
  flowId: string | null,
  readPayload: () => Promise<ParsedBody>,
  json: boolean,
): Promise<{ outcome: FlowOutcome; caller: Caller }> {
  if (!deps.config.raw.selfservice.flows.registration.enabled) throw disabled();
  const flow = await loadFlow(
    deps,
    "registration",
    requireFlowParam(flowId),
    "The registration request could not be found. Please restart the flow.",
  );
  const caller: Caller = { flowType: flow.type, json };
  const asJson = json || flow.type === "api";
  const done = (outcome: FlowOutcome) => ({ outcome, caller });
  if (await deps.sessions.fromRequest(ctx)) {
    if (asJson) return done({ kind: "error", error: alreadySignedIn() });
    return done({ kind: "success", body: undefined, redirectTo: deps.config.defaultReturnUrl });
  }
  if (isExpired(deps, flow)) {
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
    if (asJson) return done({ kind: "error", error: expiredError(deps, flow, replacement.id) });
    return done({ kind: "form", flow: replacement, body: registrationFlowJson(replacement), status: 400 });
  }

  let submittedTraits: Record<string, unknown> | undefined;
  const fail = async (issues: FlowIssue[]) => {
    const csrf = flow.type === "browser" ? ctx.maskedCsrf() : "";
    const fresh = {
      action: uiOf(flow).action,
      method: "POST",
      nodes: registrationNodes(deps, csrf, submittedTraits),
    };
    const rendered = renderError(fresh, issues);
    rendered.nodes = sortNodes(rendered.nodes, formsOf(deps).keyOrder);
    setUi(flow, rendered);
    flow.updatedAt = deps.clock.now();
    await deps.store.updateFlow(flow);
    return done({ kind: "form", flow, body: registrationFlowJson(flow), status: 400 });
  };

  let body: ParsedBody;
  try {
    body = await readPayload();
  } catch (err) {
    if (err instanceof HttpError && err.code === 400)
      return fail([{ path: "", message: reasonMessageOf(err) }]);
    throw err;
  }
  if (bodyField(body, "method") !== "password") return fail([{ path: "", message: message(4010003) }]);
  // A flow that created an identity is used up; Kratos answers "no strategy" for it (4010003).
  if (flow.state === USED_FLOW_STATE) return fail([{ path: "", message: message(4010003) }]);
  if (!deps.config.raw.selfservice.methods.password.enabled)
    return done({ kind: "error", error: methodDisabled() });

  const values = toFormValues(body);
  if ("error" in values) return fail([{ path: "", message: reasonMessageOf(values.error) }]);
  const payload = formsOf(deps).registrationDecoder.decode(values.values);
  submittedTraits = (payload.traits as Record<string, unknown>) ?? {};
  const password = typeof payload.password === "string" ? payload.password : "";

  const built = newIdentity(deps, { schemaId: deps.registry.defaultId, traits: submittedTraits });
  const issues: FlowIssue[] = built.ok ? [] : built.issues;
  if (!password)
    issues.push({ path: "password", message: message(4000002, ["password"], { property: "password" }) });
  if (issues.length > 0) return fail(issues);
  if (flow.type === "browser") {
    try {
      assertCsrf({
        req: ctx.req,
        cookieToken: ctx.csrfCookieToken,
        sentToken: bodyField(body, "csrf_token"),
      });
    } catch (err) {
      return done({ kind: "error", error: err as HttpError });
    }
  } else {
    try {
      assertNotBrowser(ctx.req, ctx.cookies.keys());
    } catch (err) {
      return fail([{ path: "", message: reasonMessageOf(err as HttpError) }]);
    }
  }
  let identity = (built as { identity: FullIdentity }).identity;
  const identifiers = passwordIdentifiers(deps, identity);
  if (identifiers.length === 0) return fail([{ path: "", message: message(4000009) }]);
  const tooLong = checkMaxLength(password, deps.hasher);
  const policyIssue = tooLong ?? (await deps.policy.check(password, identifiers));
  if (policyIssue) return fail([{ path: "password", message: policyIssue }]);
  identity = withPassword(deps, identity, await deps.hasher.hash(password));

  // Claimed before creating, so that of concurrent submissions of this flow exactly one creates.
  const unused = flow.state;
  if (!(await deps.store.transitionFlow(flow.id, unused, USED_FLOW_STATE, deps.clock.now()))) {
    return fail([{ path: "", message: message(4010003) }]);
  }
  try {
    identity = await deps.store.createIdentity(identity);
  } catch (err) {
    // Nothing was created: the flow may be submitted again.
    await deps.store.transitionFlow(flow.id, USED_FLOW_STATE, unused, deps.clock.now());
    if (err instanceof ConflictError) return fail([{ path: "", message: message(4000007) }]);
    throw err;
  }
  flow.state = "passed_challenge";
  flow.updatedAt = deps.clock.now();
  await deps.store.updateFlow(flow);
  return done(await afterRegistration(deps, ctx, flow, identity));
}

async function afterRegistration(
  deps: AppDeps,
  ctx: RequestContext,
  flow: FlowRecord,
  identity: FullIdentity,
): Promise<FlowOutcome> {
  const after = deps.config.raw.selfservice.flows.registration.after;
  const hooks = after.password.hooks.length > 0 ? after.password.hooks : after.hooks;
  const identityJson = identityToJson(identity, { publicBaseUrl: deps.config.publicBase });
  let session: SessionRecord | undefined;
  if (hooks.some((h) => h.hook === "session")) {
    session = await deps.sessions.create(identity, "password", ctx);
    if (flow.type === "browser") ctx.rotateCsrf();
  }
  const redirectTo =
    flow.returnTo ??
    after.password.default_browser_return_url ??
    after.default_browser_return_url ??
    deps.config.defaultReturnUrl;
  const continueWith: ContinueWith[] = [];
  let body: Record<string, unknown>;
  if (flow.type === "api") {
    if (session) continueWith.push({ action: "set_ory_session_token", ory_session_token: session.token });
    body = session
      ? {
          session_token: session.token,
          session: deps.sessions.toJson(session, identity),
          identity: identityJson,
          continue_with: continueWith,
        }
      : { identity: identityJson, continue_with: continueWith };
  } else {
    continueWith.push({ action: "redirect_browser_to", redirect_browser_to: redirectTo });
    body = {
      identity: identityJson,
      ...(session ? { session: deps.sessions.toJson(session, identity) } : {}),
      continue_with: continueWith,
    };
  }
  return {
    kind: "success",
    body,
    redirectTo,
    ...(session ? { session, setSessionCookie: true } : {}),
  };
}
