import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import type { ContinueWith, SettingsFlowJson } from "../../../shared/flows.ts";
import type { UiText } from "../../../shared/ui.ts";
import type { AppDeps } from "../../deps.ts";
import { identityToJson } from "../../identity/serialize.ts";
import type { FormValues, ParsedBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { HttpError } from "../../request/errors.ts";
import type { ActiveSession } from "../../session/service.ts";
import { message } from "../../ui/messages.ts";
import { abortPausedSubmissions, resumeSubmission, type SettingsMethod } from "../kit/continuity.ts";
import type { Caller, FlowOutcome } from "../kit/outcome.ts";
import {
  expiredError,
  expiredMessageArgs,
  flowCommonJson,
  flowInitUrl,
  isExpired,
  loadFlow,
  newFlow,
  requireFlowParam,
  uiOf,
} from "../kit/record.ts";
import { toFormValues } from "../kit/values.ts";
import { methodDisabled, reasonMessageOf } from "../login/service.ts";
import { runBeforeHooks } from "./hooks.ts";
import { type MethodContext, runSettingsMethod } from "./methods.ts";
import { settingsNodes } from "./nodes.ts";

/**
 * The settings flow engine (contract §4): creating, fetching and submitting flows for browsers,
 * SPAs and native apps. The REST routes and the tRPC router both call these functions and map the
 * returned FlowOutcome to their transport.
 */

const inactiveReason = {
  browser: "No active session was found in this request.",
  api: "This endpoint can only be accessed with a valid session. Please log in and try again.",
};

export function noSessionError(
  reason = "A valid Ory Session Cookie or Ory Session Token is missing.",
): HttpError {
  return new HttpError(401, {
    id: "session_inactive",
    reason,
    message: "The request could not be authorized",
  });
}

export function settingsFlowJson(
  deps: AppDeps,
  flow: FlowRecord,
  identity: FullIdentity,
  continueWith?: ContinueWith[],
): SettingsFlowJson {
  return {
    ...flowCommonJson(flow),
    identity: identityToJson(identity, { publicBaseUrl: deps.config.publicBase }),
    state: flow.state as "show_form" | "success",
    organization_id: null,
    ...(continueWith && continueWith.length > 0 ? { continue_with: continueWith } : {}),
  };
}

function loginInitUrl(deps: AppDeps, query: Record<string, string>): string {
  const u = new URL("self-service/login/browser", deps.config.publicBase);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

/** Builds and stores a new settings flow for the session's identity. */
async function startFlow(
  deps: AppDeps,
  ctx: RequestContext,
  active: ActiveSession,
  opts: { type: "browser" | "api"; returnTo?: string; requestUrl?: string; messages?: UiText[] },
): Promise<FlowRecord> {
  const csrf = opts.type === "browser" ? ctx.maskedCsrf() : "";
  const flow = newFlow(deps, {
    kind: "settings",
    type: opts.type,
    lifespanMs: deps.config.ms.settingsLifespan,
    identityId: active.identity.id,
    state: "show_form",
    requestUrl: opts.requestUrl ?? ctx.requestUrl,
    returnTo: opts.returnTo,
    nodes: settingsNodes(deps, active.identity, csrf),
    messages: opts.messages ?? [],
  });
  // Before hooks see the flow being created (contract §4.1 step 4) and may refuse it.
  await runBeforeHooks(deps, ctx, active, settingsFlowJson(deps, flow, active.identity));
  await abortPausedSubmissions(deps, active.identity.id);
  await deps.store.createFlow(flow);
  return flow;
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
  if (!active) {
    if (type === "api") return { kind: "error", error: noSessionError(inactiveReason.api) };
    if (caller.json) {
      return {
        kind: "error",
        error: new HttpError(401, {
          id: "session_inactive",
          reason: inactiveReason.browser,
          message: "request does not have a valid authentication session",
        }),
      };
    }
    const query: Record<string, string> = {};
    if (returnToParam !== null) query.return_to = returnToParam;
    return { kind: "success", body: undefined, redirectTo: loginInitUrl(deps, query) };
  }
  const returnTo = returnToParam ? deps.returnTo.validate(returnToParam) : undefined;
  const flow = await startFlow(deps, ctx, active, { type, ...(returnTo ? { returnTo } : {}) });
  return { kind: "form", flow, body: settingsFlowJson(deps, flow, active.identity), status: 200 };
}

/** `GET /self-service/settings/flows?id=` (contract §4.3). The caller must be signed in. */
export async function getSettingsFlow(
  deps: AppDeps,
  active: ActiveSession,
  id: string | null,
): Promise<SettingsFlowJson> {
  const flow = await loadFlow(deps, "settings", id);
  if (flow.identityId !== active.identity.id) {
    throw new HttpError(403, {
      id: "security_identity_mismatch",
      reason: "The request was made for another identity and has been blocked for security reasons.",
    });
  }
  if (isExpired(deps, flow)) {
    const browser = flow.type === "browser";
    throw new HttpError(410, {
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
  return settingsFlowJson(deps, flow, active.identity);
}

/** Which method a submission is for (contract §4.4.1 step 6), or undefined when none is. */
function responsibleMethod(values: FormValues): SettingsMethod | undefined {
  const method = values.get("method")?.[0];
  if (method === "profile" || method === "password") return method;
  if (values.get("link")?.[0] || values.get("unlink")?.[0]) return "oidc";
  return undefined;
}

export interface SubmitInput {
  flowId: string | null;
  /** Reads the body; GET resumptions pass nothing (the payload comes from continuity). */
  readPayload: (() => Promise<ParsedBody>) | undefined;
  json: boolean;
}

/**
 * `POST /self-service/settings?flow=` and the resume `GET` (contract §4.4, §4.5): the processing
 * pipeline of §4.4.1 in its documented order.
 */
export async function submitSettings(
  deps: AppDeps,
  ctx: RequestContext,
  input: SubmitInput,
): Promise<{ outcome: FlowOutcome; caller: Caller } | { loginUi: string }> {
  // 1. Session first, before the flow parameter is even looked at.
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) {
    if (input.json) throw noSessionError();
    return { loginUi: deps.config.ui.login };
  }
  // 2–3. The flow.
  const flow = await loadFlow(
    deps,
    "settings",
    requireFlowParam(input.flowId),
    "The settings request could not be found. Please restart the flow.",
  );
  const caller: Caller = { flowType: flow.type, json: input.json };
  try {
    return { outcome: await submitToFlow(deps, ctx, input, active, flow, caller), caller };
  } catch (err) {
    // From here on the flow's type decides how errors are delivered (api flows: always JSON), so a
    // failure (a hook's 502, the breach API's 502, …) becomes an error outcome for that caller.
    if (err instanceof HttpError) return { outcome: { kind: "error", error: err }, caller };
    deps.logger.error("settings submission failed", {
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      flow: flow.id,
    });
    return { outcome: { kind: "error", error: new HttpError(500) }, caller };
  }
}

/** §4.4.1 steps 5–8 for a flow that was found: validity, dispatch, the method's work. */
async function submitToFlow(
  deps: AppDeps,
  ctx: RequestContext,
  input: SubmitInput,
  active: ActiveSession,
  flow: FlowRecord,
  caller: Caller,
): Promise<FlowOutcome> {
  const asJson = input.json || flow.type === "api";

  // 5. Validity: expiry, then ownership.
  if (isExpired(deps, flow) && flow.identityId === active.identity.id) {
    const { args, context } = expiredMessageArgs(deps, flow);
    const replacement = await startFlow(deps, ctx, active, {
      type: flow.type,
      requestUrl: flow.requestUrl,
      ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
      messages: [message(4050001, args, context)],
    });
    if (asJson) return { kind: "error", error: expiredError(deps, flow, replacement.id) };
    return {
      kind: "form",
      flow: replacement,
      body: settingsFlowJson(deps, replacement, active.identity),
      status: 400,
    };
  }
  if (flow.identityId !== active.identity.id) {
    return {
      kind: "error",
      error: new HttpError(403, {
        id: "security_identity_mismatch",
        reason:
          "The request was initiated by someone else and has been blocked for security reasons. Please go back and try again.",
      }),
    };
  }

  const method: MethodContext = { deps, ctx, flow, active, caller };

  // Resumption after a refresh login replays the paused payload through the normal checks.
  if (!input.readPayload) {
    const paused = await resumeSubmission(deps, ctx, active.identity.id, flow.id);
    if (!paused) return await renderGlobal(method, message(4010004));
    return await runSettingsMethod(method, paused.method, new Map(Object.entries(paused.values)));
  }

  let values: FormValues;
  try {
    const converted = toFormValues(await input.readPayload());
    if ("error" in converted) return await renderGlobal(method, reasonMessageOf(converted.error));
    values = converted.values;
  } catch (err) {
    if (err instanceof HttpError && err.code === 400) return await renderGlobal(method, reasonMessageOf(err));
    throw err;
  }

  // 6. Strategy dispatch.
  const responsible = responsibleMethod(values);
  if (!responsible) return await renderGlobal(method, message(4010004));
  const methods = deps.config.raw.selfservice.methods;
  if (responsible === "oidc" || !methods[responsible].enabled)
    return { kind: "error", error: methodDisabled() };
  return await runSettingsMethod(method, responsible, values);
}

/** Renders one global message into the flow (keeping node values) and returns the 400 form. */
async function renderGlobal(m: MethodContext, text: UiText): Promise<FlowOutcome> {
  const { deps, flow, active } = m;
  const ui = uiOf(flow);
  ui.nodes = ui.nodes.map((n) => ({ ...n, messages: [] }));
  ui.messages = [text];
  refreshCsrf(m);
  flow.updatedAt = deps.clock.now();
  await deps.store.updateFlow(flow);
  return { kind: "form", flow, body: settingsFlowJson(deps, flow, active.identity), status: 400 };
}

/** Re-masks the CSRF token on every render (contract §3.3). */
export function refreshCsrf(m: MethodContext): void {
  if (m.flow.type !== "browser") return;
  for (const n of uiOf(m.flow).nodes) {
    if (n.attributes.node_type === "input" && n.attributes.name === "csrf_token") {
      n.attributes.value = m.ctx.maskedCsrf();
    }
  }
}
