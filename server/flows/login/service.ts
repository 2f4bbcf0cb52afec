import { USED_FLOW_STATE } from "../../../db/flow-state.ts";
import type { FlowRecord, FullIdentity, SessionRecord } from "../../../db/store.ts";
import type { LoginFlowJson } from "../../../shared/flows.ts";
import type { InputNode, UiText } from "../../../shared/ui.ts";
import type { AppDeps } from "../../deps.ts";
import { normalizeIdentifier } from "../../identity/normalize.ts";
import type { ParsedBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { assertCsrf, assertNotBrowser } from "../../request/csrf.ts";
import { HttpError } from "../../request/errors.ts";
import { toRfc3339 } from "../../time.ts";
import { message } from "../../ui/messages.ts";
import { csrfNode, inputNode } from "../../ui/nodes.ts";
import { bodyField, clearMessages, renderError } from "../form.ts";
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

export interface LoginInit {
  type: "browser" | "api";
  refresh: boolean;
  aal: string | null;
  returnTo: string | null;
}

const alreadySignedIn = () =>
  new HttpError(400, {
    id: "session_already_available",
    reason:
      "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?",
  });

/** The login identifier's label: the schema title of the identifier trait, else "ID" (1070004). */
function identifierLabel(deps: AppDeps): UiText {
  const title = deps.forms.get(deps.registry.defaultId)?.identifierTitle;
  return title ? message(1070002, [title], { title }) : message(1070004);
}

function passwordNodes(deps: AppDeps, refreshIdentifier: string | undefined): InputNode[] {
  const identifier =
    refreshIdentifier !== undefined
      ? inputNode("default", "identifier", "hidden", { value: refreshIdentifier, required: true })
      : inputNode("default", "identifier", "text", {
          value: "",
          required: true,
          autocomplete: "username",
          label: identifierLabel(deps),
        });
  return [
    identifier,
    inputNode("password", "password", "password", {
      required: true,
      autocomplete: "current-password",
      label: message(1070001),
    }),
    inputNode("password", "method", "submit", {
      value: "password",
      label: refreshIdentifier !== undefined ? message(1010001) : message(1010022),
    }),
  ];
}

function firstPasswordIdentifier(identity: FullIdentity): string | undefined {
  return identity.credentials.find((c) => c.type === "password")?.identifiers[0];
}

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
    throw new HttpError(400, {
      reason: `Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of [aal1, aal2] but got ${init.aal}`,
    });
  }
  const active = await deps.sessions.fromRequest(ctx);
  if (!active && init.aal === "aal2") {
    throw new HttpError(401, {
      id: "session_aal1_required",
      reason: "You can not requested a higher AAL (AAL2/AAL3) without an active session.",
    });
  }
  const returnTo = init.returnTo ? deps.returnTo.validate(init.returnTo) : undefined;
  const refresh = init.refresh && !!active;
  if (active && !refresh) {
    if (caller.json || caller.flowType === "api") return { kind: "error", error: alreadySignedIn() };
    return { kind: "success", body: undefined, redirectTo: returnTo ?? deps.config.defaultReturnUrl };
  }
  const flow = buildLoginFlow(deps, ctx, {
    type: init.type,
    refresh,
    identity: refresh ? active!.identity : undefined,
    returnTo,
    messages: refresh ? [message(1010003), ...messages] : messages,
  });
  await deps.store.createFlow(flow);
  return { kind: "form", flow, body: loginFlowJson(flow), status: 200 };
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
  const refreshIdentifier = opts.identity ? firstPasswordIdentifier(opts.identity) : undefined;
  const showPassword =
    deps.config.raw.selfservice.methods.password.enabled &&
    (!opts.refresh || refreshIdentifier !== undefined);
  const csrf = opts.type === "browser" ? ctx.maskedCsrf() : "";
  return newFlow(deps, {
    kind: "login",
    type: opts.type,
    lifespanMs: deps.config.ms.loginLifespan,
    state: "choose_method",
    requestUrl: opts.requestUrl ?? ctx.requestUrl,
    returnTo: opts.returnTo,
    nodes: [csrfNode(csrf), ...(showPassword ? passwordNodes(deps, refreshIdentifier) : [])],
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

/** Submits a login flow with the password method (contract §16.1). */
export async function submitLogin(
  deps: AppDeps,
  ctx: RequestContext,
  flowId: string | null,
  readPayload: () => Promise<ParsedBody>,
  caller: Omit<Caller, "flowType">,
): Promise<{ outcome: FlowOutcome; caller: Caller }> {
  const flow = await loadFlow(
    deps,
    "login",
    requireFlowParam(flowId),
    "The login request could not be found. Please restart the flow.",
  );
  const full: Caller = { flowType: flow.type, json: caller.json };
  const json = full.json || full.flowType === "api";
  const active = await deps.sessions.fromRequest(ctx);
  const refresh = flow.data.refresh === true;
  if (active && !refresh) {
    if (json) return { outcome: { kind: "error", error: alreadySignedIn() }, caller: full };
    return {
      outcome: { kind: "success", body: undefined, redirectTo: deps.config.defaultReturnUrl },
      caller: full,
    };
  }
  if (isExpired(deps, flow)) {
    const { args, context } = expiredMessageArgs(deps, flow);
    const replacement = buildLoginFlow(deps, ctx, {
      type: flow.type,
      refresh: refresh && !!active,
      identity: refresh ? active?.identity : undefined,
      returnTo: flow.returnTo ?? undefined,
      messages: [message(4010001, args, context)],
      requestUrl: flow.requestUrl,
    });
    await deps.store.createFlow(replacement);
    if (json)
      return { outcome: { kind: "error", error: expiredError(deps, flow, replacement.id) }, caller: full };
    return {
      outcome: { kind: "form", flow: replacement, body: loginFlowJson(replacement), status: 400 },
      caller: full,
    };
  }

  const fail = async (
    messages: { path: string; message: UiText }[],
  ): Promise<{ outcome: FlowOutcome; caller: Caller }> => {
    const ui = clearMessages(uiOf(flow));
    renderError(ui, messages);
    for (const n of ui.nodes) {
      if (
        n.attributes.node_type === "input" &&
        n.attributes.name === "csrf_token" &&
        flow.type === "browser"
      ) {
        n.attributes.value = ctx.maskedCsrf();
      }
    }
    setUi(flow, ui);
    flow.updatedAt = deps.clock.now();
    await deps.store.updateFlow(flow);
    return { outcome: { kind: "form", flow, body: loginFlowJson(flow), status: 400 }, caller: full };
  };

  let body: ParsedBody;
  try {
    body = await readPayload();
  } catch (err) {
    if (err instanceof HttpError && err.code === 400)
      return fail([{ path: "", message: reasonMessageOf(err) }]);
    throw err;
  }
  const method = bodyField(body, "method");
  if (method !== "password") return fail([{ path: "", message: message(4010002) }]);
  // A flow that issued a session is used up; Kratos answers "no strategy" for it (4010002).
  if (flow.state === USED_FLOW_STATE) return fail([{ path: "", message: message(4010002) }]);
  if (!deps.config.raw.selfservice.methods.password.enabled) {
    return { outcome: { kind: "error", error: methodDisabled() }, caller: full };
  }
  const identifierRaw = bodyField(body, "identifier") ?? bodyField(body, "password_identifier") ?? "";
  const password = bodyField(body, "password") ?? "";
  const missing: { path: string; message: UiText }[] = [];
  if (!identifierRaw)
    missing.push({
      path: "identifier",
      message: message(4000002, ["identifier"], { property: "identifier" }),
    });
  if (!password)
    missing.push({ path: "password", message: message(4000002, ["password"], { property: "password" }) });
  if (missing.length > 0) return failWithIdentifier(fail, flow, identifierRaw, missing);
  if (flow.type === "browser") {
    try {
      assertCsrf({
        req: ctx.req,
        cookieToken: ctx.csrfCookieToken,
        sentToken: bodyField(body, "csrf_token"),
      });
    } catch (err) {
      return { outcome: { kind: "error", error: err as HttpError }, caller: full };
    }
  } else {
    try {
      assertNotBrowser(ctx.req, ctx.cookies.keys());
    } catch (err) {
      return failWithIdentifier(fail, flow, identifierRaw, [
        { path: "", message: reasonMessageOf(err as HttpError) },
      ]);
    }
  }

  // A refresh flow pre-fills the session's identifier, but what counts is what was submitted: signing
  // in there as a different identity replaces the session (contract §16.1).
  const identifier = normalizeIdentifier(identifierRaw);
  const identity = await deps.store.findIdentityByCredentialIdentifier("password", identifier);
  const hash = identity?.credentials.find((c) => c.type === "password")?.config.hashed_password;
  const ok =
    typeof hash === "string"
      ? await deps.hasher.verify(password, hash)
      : await deps.hasher.dummyVerify(password);
  if (!identity || !ok)
    return failWithIdentifier(fail, flow, identifierRaw, [{ path: "", message: message(4000006) }]);
  if (identity.state !== "active") {
    return failWithIdentifier(fail, flow, identifierRaw, [{ path: "", message: message(4010011) }]);
  }

  // Claimed before issuing, so that of concurrent submissions of this flow exactly one signs in.
  if (!(await deps.store.transitionFlow(flow.id, flow.state, USED_FLOW_STATE, deps.clock.now()))) {
    return fail([{ path: "", message: message(4010002) }]);
  }
  let session: SessionRecord;
  if (active && active.identity.id === identity.id) {
    session = await deps.sessions.refresh(active.session, "password");
  } else {
    if (active) await deps.store.revokeSession(active.session.id);
    session = await deps.sessions.create(identity, "password", ctx);
    if (flow.type === "browser") ctx.rotateCsrf();
  }
  flow.state = "passed_challenge";
  flow.updatedAt = deps.clock.now();
  await deps.store.updateFlow(flow);

  const after = deps.config.raw.selfservice.flows.login.after;
  const redirectTo =
    flow.returnTo ??
    returnToOf(deps, flow.requestUrl) ??
    after.password.default_browser_return_url ??
    after.default_browser_return_url ??
    deps.config.defaultReturnUrl;
  const sessionJson = deps.sessions.toJson(session, identity);
  const responseBody =
    flow.type === "api"
      ? { session_token: session.token, session: sessionJson, continue_with: [] }
      : {
          session: sessionJson,
          continue_with: [{ action: "redirect_browser_to", redirect_browser_to: redirectTo }],
        };
  return {
    outcome: { kind: "success", body: responseBody, redirectTo, session, setSessionCookie: true },
    caller: full,
  };
}

function failWithIdentifier(
  fail: (m: { path: string; message: UiText }[]) => Promise<{ outcome: FlowOutcome; caller: Caller }>,
  flow: FlowRecord,
  identifier: string,
  messages: { path: string; message: UiText }[],
) {
  const ui = uiOf(flow);
  for (const n of ui.nodes) {
    if (
      n.attributes.node_type === "input" &&
      n.attributes.name === "identifier" &&
      n.attributes.type !== "hidden"
    ) {
      n.attributes.value = identifier;
    }
  }
  return fail(messages);
}

function returnToOf(deps: AppDeps, requestUrl: string): string | undefined {
  try {
    return deps.returnTo.fromUrl(new URL(requestUrl));
  } catch {
    return undefined;
  }
}

export function methodDisabled(): HttpError {
  return new HttpError(404, {
    reason:
      "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.",
  });
}

export function reasonMessageOf(err: HttpError): UiText {
  return message(4000001, [err.reason ?? err.message], { reason: err.reason ?? err.message });
}
