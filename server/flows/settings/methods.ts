import { ConflictError, type FlowRecord, type FullIdentity } from "../../../db/store.ts";
import type { ContinueWith } from "../../../shared/flows.ts";
import type { AppDeps } from "../../deps.ts";
import { protectedFieldsChanged } from "../../identity/apply.ts";
import { type AppliedChange, commitIdentityChange, type IdentityPart } from "../../identity/commit.ts";
import { passwordDecoder } from "../../identity/forms.ts";
import { passwordIdentifiers, withPassword, withTraits } from "../../identity/manager.ts";
import { checkMaxLength } from "../../methods/password/policy.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { assertCsrf, assertNotBrowser } from "../../request/csrf.ts";
import { errors, HttpError } from "../../request/errors.ts";
import { appendQuery } from "../../request/url.ts";
import type { ActiveSession } from "../../session/service.ts";
import { message } from "../../ui/messages.ts";
import { sortNodes } from "../../ui/sort.ts";
import { type FlowIssue, renderError } from "../form.ts";
import { reasonMessageOf } from "../login/service.ts";
import type { Caller, FlowOutcome } from "../outcome.ts";
import { setUi, uiOf } from "../record.ts";
import { pauseSubmission, type SettingsMethod } from "./continuity.ts";
import { applyPatch, runAfterHooks } from "./hooks.ts";
import { formsFor, settingsNodes } from "./nodes.ts";
import { settingsFlowJson } from "./service.ts";

export interface MethodContext {
  deps: AppDeps;
  ctx: RequestContext;
  flow: FlowRecord;
  active: ActiveSession;
  caller: Caller;
  /** The submission's `transient_payload`, handed to web hooks and never stored. */
  transientPayload?: Record<string, unknown>;
}

function transientPayloadOf(payload: Record<string, unknown>): Record<string, unknown> | undefined {
  const value = payload.transient_payload;
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Runs a settings method on decoded form values (a fresh submission or a resumed one). */
export function runSettingsMethod(
  m: MethodContext,
  method: SettingsMethod,
  values: FormValues,
): Promise<FlowOutcome> {
  if (method === "profile") return submitProfile(m, values);
  if (method === "password") return submitPassword(m, values);
  return Promise.resolve({
    kind: "error",
    error: new HttpError(404, {
      reason:
        "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.",
    }),
  });
}

/**
 * The CSRF step of a method (contract §9), after decoding and validation: browser flows verify the
 * body's csrf_token against the cookie (a 403); api flows instead refuse requests that carry an
 * Origin header or cookies (§9.3), a 400 rendered into the flow like any other.
 */
async function csrfViolation(
  m: MethodContext,
  values: FormValues,
  submittedTraits?: Record<string, unknown>,
): Promise<FlowOutcome | undefined> {
  try {
    if (m.flow.type === "api") {
      assertNotBrowser(m.ctx.req, m.ctx.cookies.keys());
    } else {
      assertCsrf({
        req: m.ctx.req,
        cookieToken: m.ctx.csrfCookieToken,
        sentToken: values.get("csrf_token")?.[0],
      });
    }
    return undefined;
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    if (err.code === 400)
      return renderIssues(m, [{ path: "", message: reasonMessageOf(err) }], submittedTraits);
    return { kind: "error", error: err };
  }
}

/**
 * The session is too old for this change (contract §10.3). Browser flows keep the submission for
 * after the refresh login; api flows only learn where to re-authenticate (no cookies for them).
 */
async function refreshRequired(
  m: MethodContext,
  method: SettingsMethod,
  values: FormValues,
): Promise<FlowOutcome> {
  const { deps, flow } = m;
  const returnTo = new URL(`self-service/settings?flow=${flow.id}`, deps.config.publicBase).toString();
  const login = new URL("self-service/login/browser", deps.config.publicBase);
  login.searchParams.set("refresh", "true");
  login.searchParams.set("return_to", returnTo);
  if (flow.type === "browser") {
    await pauseSubmission(deps, m.ctx, m.active.identity.id, {
      flowId: flow.id,
      method,
      values: Object.fromEntries(values),
    });
  }
  return { kind: "refresh_required", redirectTo: login.toString() };
}

/**
 * Renders issues into the flow and answers 400 (contract §3.7, §8.1): the nodes are rebuilt for the
 * identity with the submitted traits echoed (profile) and a fresh CSRF token; old messages go.
 */
async function renderIssues(
  m: MethodContext,
  issues: readonly FlowIssue[],
  submittedTraits?: Record<string, unknown>,
): Promise<FlowOutcome> {
  const { deps, flow, active } = m;
  const csrf = flow.type === "browser" ? m.ctx.maskedCsrf() : "";
  const ui = {
    action: uiOf(flow).action,
    method: "POST",
    nodes: settingsNodes(deps, active.identity, csrf, submittedTraits),
  };
  const rendered = renderError(ui, issues);
  rendered.nodes = sortNodes(rendered.nodes, formsFor(deps, active.identity.schemaId).keyOrder);
  setUi(flow, rendered);
  flow.updatedAt = deps.clock.now();
  await deps.store.updateFlow(flow);
  return { kind: "form", flow, body: settingsFlowJson(deps, flow, active.identity), status: 400 };
}

/** The profile method (contract §5.3). */
async function submitProfile(m: MethodContext, values: FormValues): Promise<FlowOutcome> {
  const { deps, active } = m;
  const payload = formsFor(deps, active.identity.schemaId).profileDecoder.decode(values);
  m.transientPayload = transientPayloadOf(payload);
  const traits = (payload.traits ?? {}) as Record<string, unknown>;
  const next = withTraits(deps, active.identity, traits);
  if (!next.ok) return renderIssues(m, next.issues, traits);
  const csrf = await csrfViolation(m, values, traits);
  if (csrf) return csrf;
  if (protectedFieldsChanged(active.identity, next.identity) && !deps.sessions.isPrivileged(active.session)) {
    return refreshRequired(m, "profile", values);
  }
  return persist(m, "profile", next.identity, traits, {
    dependsOn: ["traits", "schema_id"],
    apply: (current) => withTraits(deps, current, traits),
  });
}

/** The password method (contract §6.2). */
async function submitPassword(m: MethodContext, values: FormValues): Promise<FlowOutcome> {
  const { deps, active } = m;
  const payload = passwordDecoder.decode(values);
  m.transientPayload = transientPayloadOf(payload);
  const password = typeof payload.password === "string" ? payload.password : "";
  if (!password) {
    return renderIssues(m, [
      { path: "password", message: message(4000002, ["password"], { property: "password" }) },
    ]);
  }
  const csrf = await csrfViolation(m, values);
  if (csrf) return csrf;
  if (!deps.sessions.isPrivileged(active.session)) return refreshRequired(m, "password", values);

  const identifiers = passwordIdentifiers(deps, active.identity);
  if (identifiers.length === 0) return renderIssues(m, [{ path: "", message: message(4000009) }]);
  const current = active.identity.credentials.find((c) => c.type === "password")?.config.hashed_password;
  const problem =
    checkMaxLength(password, deps.hasher) ??
    (typeof current === "string" && (await deps.hasher.verify(password, current))
      ? message(4000039)
      : undefined) ??
    (await deps.policy.check(password, identifiers));
  if (problem) return renderIssues(m, [{ path: "password", message: problem }]);
  const hashed = await deps.hasher.hash(password);
  return persist(m, "password", withPassword(deps, active.identity, hashed), undefined, {
    dependsOn: [],
    apply: (current) => ({ ok: true, identity: withPassword(deps, current, hashed) }),
  });
}

/** Where a browser goes after a successful submission (contract §11.3). */
function successTarget(m: MethodContext, method: SettingsMethod): string {
  const after = m.deps.config.raw.selfservice.flows.settings.after;
  return (
    m.flow.returnTo ??
    after[method].default_browser_return_url ??
    after.default_browser_return_url ??
    appendQuery(m.deps.config.ui.settings, { flow: m.flow.id })
  );
}

/**
 * Success (contract §11.1): pre-persist hooks, the identity written as one transaction, the flow
 * rebuilt with message 1050001, post-persist hooks, then the response for the caller.
 */
async function persist(
  m: MethodContext,
  method: SettingsMethod,
  proposed: FullIdentity,
  submittedTraits: Record<string, unknown> | undefined,
  change: { dependsOn: IdentityPart[]; apply: (current: FullIdentity) => AppliedChange },
): Promise<FlowOutcome> {
  const { deps, flow, active } = m;
  // The allow list may have changed since the flow was created (contract §11.1 step 1).
  try {
    if (flow.returnTo) deps.returnTo.validate(flow.returnTo);
  } catch (err) {
    if (err instanceof HttpError && err.code === 400) {
      return renderIssues(m, [{ path: "", message: reasonMessageOf(err) }], submittedTraits);
    }
    throw err;
  }

  const redirectTo = successTarget(m, method);
  const pre = await runAfterHooks(m, method, "pre", proposed);
  if (pre.kind === "reject") return renderIssues(m, pre.issues, submittedTraits);
  let identity: FullIdentity;

  try {
    // Re-applied on the identity's current state, as the session's and identity's activity are
    // re-checked, inside one transaction: nothing committed meanwhile is reverted.
    const committed = await commitIdentityChange(deps, {
      decidedOn: active.identity,
      dependsOn: change.dependsOn,
      sessionId: active.session.id,
      apply: (current) => {
        const applied = change.apply(current);
        return applied.ok && pre.patch ? applyPatch(deps, applied.identity, pre.patch) : applied;
      },
    });
    if (committed.kind === "conflict") {
      const reason =
        "The account was changed while this form was open. Review the current values and submit again.";
      const fresh = { ...m, active: { ...active, identity: committed.current } };
      return renderIssues(fresh, [{ path: "", message: message(4000001, [reason], { reason }) }]);
    }
    if (committed.kind === "rejected") return renderIssues(m, committed.issues, submittedTraits);
    if (committed.kind !== "committed") {
      // Revoked, expired or disabled meanwhile: answered as a request without a valid session.
      return {
        kind: "error",
        error: errors.sessionInactive("A valid Ory Session Cookie or Ory Session Token is missing."),
      };
    }
    identity = committed.identity;
  } catch (err) {
    if (err instanceof ConflictError) {
      return renderIssues(m, [{ path: "", message: message(4000007) }], submittedTraits);
    }
    throw err;
  }

  const csrf = flow.type === "browser" ? m.ctx.maskedCsrf() : "";
  flow.state = "success";
  setUi(flow, {
    action: uiOf(flow).action,
    method: "POST",
    nodes: settingsNodes(deps, identity, csrf),
    messages: [message(1050001)],
  });
  flow.updatedAt = deps.clock.now();
  await deps.store.updateFlow(flow);

  const post = await runAfterHooks(m, method, "post", identity);
  const continueWith: ContinueWith[] = [...post.continueWith];
  if (flow.type === "browser")
    continueWith.push({ action: "redirect_browser_to", redirect_browser_to: redirectTo });
  return {
    kind: "success",
    body: settingsFlowJson(deps, flow, identity, continueWith),
    redirectTo,
    session: active.session,
    setSessionCookie: true,
  };
}
