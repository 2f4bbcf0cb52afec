import type { UiContainer, UiNode, UiText } from "#shared/ui.ts";
import type { FlowKind, FlowRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { RequestContext } from "../../request/context.ts";
import { assertCsrf } from "../../request/csrf.ts";
import { errors, type HttpError } from "../../request/errors.ts";
import { toRfc3339 } from "../../time.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string | null | undefined): value is string {
  return !!value && UUID.test(value);
}

export function flowAction(deps: AppDeps, kind: FlowKind, id: string): string {
  return new URL(`self-service/${kind}?flow=${id}`, deps.config.publicBase).toString();
}

export interface NewFlow {
  kind: FlowKind;
  type: "browser" | "api";
  lifespanMs: number;
  identityId?: string | null;
  state: string;
  requestUrl: string;
  returnTo?: string | undefined;
  nodes: UiNode[];
  messages?: UiText[];
  data?: Record<string, unknown>;
  internalContext?: Record<string, unknown>;
}

export function newFlow(deps: AppDeps, init: NewFlow): FlowRecord {
  const now = deps.clock.now();
  const id = crypto.randomUUID();
  const ui: UiContainer = { action: flowAction(deps, init.kind, id), method: "POST", nodes: init.nodes };
  if (init.messages && init.messages.length > 0) ui.messages = init.messages;
  return {
    id,
    kind: init.kind,
    type: init.type,
    identityId: init.identityId ?? null,
    state: init.state,
    requestUrl: init.requestUrl,
    returnTo: init.returnTo ?? null,
    active: null,
    ui: ui as unknown as Record<string, unknown>,
    data: init.data ?? {},
    internalContext: init.internalContext ?? {},
    issuedAt: now,
    expiresAt: new Date(now.getTime() + init.lifespanMs),
    createdAt: now,
    updatedAt: now,
  };
}

export function uiOf(flow: FlowRecord): UiContainer {
  return flow.ui as unknown as UiContainer;
}

export function setUi(flow: FlowRecord, ui: UiContainer): void {
  if (ui.messages && ui.messages.length === 0) delete ui.messages;
  flow.ui = ui as unknown as Record<string, unknown>;
}

/** Fields every flow kind shares on the wire, in Kratos's order. */
export function flowCommonJson(flow: FlowRecord) {
  return {
    id: flow.id,
    type: flow.type,
    expires_at: toRfc3339(flow.expiresAt),
    issued_at: toRfc3339(flow.issuedAt),
    request_url: flow.requestUrl,
    ...(flow.returnTo ? { return_to: flow.returnTo } : {}),
    ...(flow.active ? { active: flow.active } : {}),
    ui: uiOf(flow),
  };
}

/**
 * The `?flow=` parameter of a submission: missing or not a UUID is a 400 (contract §4.4.1 step 2;
 * Kratos's `flow.GetFlowID` for every flow), before any lookup.
 */
export function requireFlowParam(id: string | null): string {
  if (!isUuid(id)) throw errors.badRequest("The flow query parameter is missing or malformed.");
  return id;
}

/** The CSRF token a browser flow was rendered with (its `csrf_token` node). */
function csrfTokenOfFlow(flow: FlowRecord): string | undefined {
  for (const n of uiOf(flow).nodes) {
    const a = n.attributes;
    if (a.node_type === "input" && a.name === "csrf_token" && typeof a.value === "string") return a.value;
  }
  return undefined;
}

/**
 * Login and registration flows fetched by id are only shown to the browser whose CSRF cookie they
 * were rendered for (contract §16.1); api flows carry no token.
 */
export function assertFlowCsrfCookie(ctx: RequestContext, flow: FlowRecord): void {
  if (flow.type !== "browser") return;
  assertCsrf({ req: ctx.req, cookieToken: ctx.csrfCookieToken, sentToken: csrfTokenOfFlow(flow) });
}

/** Loads a flow of the given kind by id, or throws the contract's 404. */
export async function loadFlow(deps: AppDeps, kind: FlowKind, id: string | null, notFoundReason?: string) {
  const flowId = storedFlowId(id);
  return foundFlow(flowId === undefined ? undefined : await deps.store.getFlow(flowId), kind, notFoundReason);
}

/** The id a flow is stored under, when `id` can be one (a UUID, in any case). */
export function storedFlowId(id: string | null): string | undefined {
  return isUuid(id) ? id.toLowerCase() : undefined;
}

/** The flow as read, when it is of the given kind; else the contract's 404. */
export function foundFlow(flow: FlowRecord | undefined, kind: FlowKind, notFoundReason?: string): FlowRecord {
  if (!flow || flow.kind !== kind) throw errors.notFound(notFoundReason);
  return flow;
}

export function isExpired(deps: AppDeps, flow: FlowRecord): boolean {
  return flow.expiresAt.getTime() < deps.clock.now().getTime();
}

/** The 410 for an expired flow (contract §12.1), pointing at its replacement. */
export function expiredError(deps: AppDeps, flow: FlowRecord, replacementId?: string): HttpError {
  const now = deps.clock.now();
  const agoMs = now.getTime() - flow.expiresAt.getTime();
  return errors.flowExpired({
    reason: `The self-service flow expired ${(agoMs / 60_000).toFixed(2)} minutes ago, initialize a new one.`,
    message: "self-service flow expired",
    extra: {
      expired_at: toRfc3339(flow.expiresAt),
      since: agoMs * 1_000_000,
      use_flow_id: replacementId ?? "00000000-0000-0000-0000-000000000000",
    },
  });
}

/** The URL that starts a new flow of a kind, keeping a browser flow's `return_to`. */
export function flowInitUrl(
  deps: AppDeps,
  kind: FlowKind,
  type: "browser" | "api",
  returnTo?: string | null,
): string {
  const u = new URL(`self-service/${kind}/${type}`, deps.config.publicBase);
  if (type === "browser" && returnTo) u.searchParams.set("return_to", returnTo);
  return u.toString();
}

/** The 410 for fetching an expired login or registration flow (contract §16.1, §16.2). */
export function expiredFetchError(deps: AppDeps, flow: FlowRecord): HttpError {
  const kind = flow.kind;
  const init = flowInitUrl(deps, kind, flow.type, flow.returnTo);
  return errors.flowExpired({
    reason: `The ${kind} flow has expired. Redirect the user to the ${kind} flow init endpoint to initialize a new ${kind} flow.`,
    details: flow.type === "browser" ? { redirect_to: init } : { api: init },
  });
}

/**
 * `GET /self-service/{login,registration}/flows?id=`: the flow, if it exists, belongs to this
 * browser's CSRF cookie (browser flows) and has not expired (contract §16.1, §16.2).
 */
export async function fetchFlow(
  deps: AppDeps,
  ctx: RequestContext,
  kind: "login" | "registration",
  id: string | null,
): Promise<FlowRecord> {
  const flow = await loadFlow(deps, kind, id);
  assertFlowCsrfCookie(ctx, flow);
  if (isExpired(deps, flow)) throw expiredFetchError(deps, flow);
  return flow;
}

/** Context for "flow expired N minutes ago" messages (4010001, 4040001, 4050001). */
export function expiredMessageArgs(deps: AppDeps, flow: FlowRecord) {
  const agoMin = (deps.clock.now().getTime() - flow.expiresAt.getTime()) / 60_000;
  return {
    args: [agoMin],
    context: {
      expired_at: toRfc3339(flow.expiresAt),
      expired_at_unix: Math.floor(flow.expiresAt.getTime() / 1000),
    },
  };
}
