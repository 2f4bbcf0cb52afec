import type { SettingsFlowJson } from "#shared/flows.ts";
import type { Caller, FlowOutcome } from "../flows/kit/outcome.ts";
import {
  createSettingsFlow,
  fetchSettingsFlow,
  readSettingsFlowAsAdmin,
  submitSettings,
} from "../flows/settings/service.ts";
import { errorJson, errorRedirect, json, redirect, toHttpError } from "../http/respond.ts";
import { type Params, type Route, route } from "../http/router.ts";
import { type ParsedBody, readBody } from "../request/body.ts";
import type { RequestContext } from "../request/context.ts";
import { errors, HttpError } from "../request/errors.ts";
import { appendQuery } from "../request/url.ts";
import { LEGACY, legacyPaths } from "./paths.ts";
import { profileRequest, settingsRequest } from "./shapes.ts";

/**
 * The fourth door: the v0.1 profile API (seed 001) and the v0.2 settings API (seed 000) over the
 * same settings engine as the REST, tRPC and page doors (contract §19). Each route turns the old
 * request into an engine call and the engine's outcome into the old answer: `?request=` for
 * `?flow=`, `302` redirects, the old request shapes. No rule of the flow lives here.
 */

type Era = "v0.1" | "v0.2";

function shapeFor(era: Era, ctx: RequestContext, body: unknown) {
  const flow = body as SettingsFlowJson;
  const base = ctx.deps.config.publicBase;
  return era === "v0.1" ? profileRequest(base, flow) : settingsRequest(base, flow);
}

/** The settings UI with `?request=<id>` (urls.profile_ui / urls.settings_ui are its old names). */
function uiFor(ctx: RequestContext, id: string): string {
  return appendQuery(ctx.deps.config.ui.settings, { request: id });
}

/** Today's success redirect, with the default `?flow=` target written the old way. */
function successTarget(ctx: RequestContext, to: string, id: string): string {
  return to === appendQuery(ctx.deps.config.ui.settings, { flow: id }) ? uiFor(ctx, id) : to;
}

/** Re-authentication the v0.2 way: the old login route with `prompt=login`, back to the strategy URL. */
function reauthUrl(ctx: RequestContext, returnTo: string): string {
  const login = new URL(LEGACY.login.slice(1), ctx.deps.config.publicBase);
  login.searchParams.set("prompt", "login");
  login.searchParams.set("return_to", returnTo);
  return login.toString();
}

/**
 * The error container the old way: `302` to the error UI with `?error=<id>` (v0.1/v0.2), keeping
 * today's `?id=` beside it; `GET /self-service/errors` answers either parameter.
 */
async function errorUi(ctx: RequestContext, err: unknown): Promise<Response> {
  const stored = await errorRedirect(ctx, toHttpError(ctx, err));
  const location = new URL(stored.headers.get("location")!, ctx.deps.config.publicBase);
  const id = location.searchParams.get("id");
  if (id) location.searchParams.set("error", id);
  return redirect(ctx, location.toString(), 302);
}

/** JSON callers get the error as JSON, browsers the error UI. */
function deliver(ctx: RequestContext, err: unknown, asJson: boolean): Promise<Response> | Response {
  return asJson ? errorJson(ctx, toHttpError(ctx, err)) : errorUi(ctx, err);
}

/** GET `/self-service/browser/flows/{profile,settings}`: a new flow, then its UI with `?request=`. */
const init = async (ctx: RequestContext) => {
  try {
    const caller: Caller = { flowType: "browser", json: false };
    const outcome = await createSettingsFlow(ctx.deps, ctx, "browser", null, caller);
    if (outcome.kind === "form") return redirect(ctx, uiFor(ctx, outcome.flow.id), 302);
    // Without a session the old APIs sent the browser straight to the login UI.
    if (outcome.kind === "redirect") return redirect(ctx, ctx.deps.config.ui.login, 302);
    throw new Error(`a legacy init ended in "${outcome.kind}"`);
  } catch (err) {
    return deliver(ctx, err, false);
  }
};

/** Errors the old public request endpoints hid behind a 403, to prevent scanning (v0.2 handler). */
function hiddenOnPublic(err: unknown): unknown {
  if (!(err instanceof HttpError) || err.code !== 404) return err;
  return errors.forbidden({
    reason: "Access privileges are missing, invalid, or not sufficient to access this endpoint.",
  });
}

/** GET `/self-service/browser/flows/requests/{profile,settings}?request=`: the old request JSON. */
const fetchRequest = (era: Era, listener: "public" | "admin") => async (ctx: RequestContext) => {
  const id = ctx.url.searchParams.get("request");
  try {
    // Without a session the public route sent the browser to sign in (v0.1/v0.2 `IsAuthenticated`).
    const outcome =
      listener === "admin"
        ? await readSettingsFlowAsAdmin(ctx.deps, id)
        : await fetchSettingsFlow(ctx.deps, ctx, id, false);
    if (outcome.kind === "redirect") return redirect(ctx, ctx.deps.config.ui.login, 302);
    if (outcome.kind !== "form") throw new Error(`a legacy fetch ended in "${outcome.kind}"`);
    return json(ctx, 200, shapeFor(era, ctx, outcome.body));
  } catch (err) {
    return errorJson(ctx, toHttpError(ctx, listener === "public" ? hiddenOnPublic(err) : err));
  }
};

/** The submission names its method by URL then, by a `method` field now. */
function withMethod(body: ParsedBody, method: string): ParsedBody {
  if (body.kind === "form") {
    const values = new Map(body.values);
    values.set("method", [method]);
    return { kind: "form", values };
  }
  const v = body.value;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return body;
  return { kind: "json", value: { ...v, method } };
}

/** The engine's outcome as the old API answered it (302s, `?request=`, the old shapes). */
async function sendLegacy(
  ctx: RequestContext,
  era: Era,
  outcome: FlowOutcome,
  caller: Caller,
  /** Where the browser comes back to after re-authenticating: the URL it submitted to. */
  resumeUrl: string,
): Promise<Response> {
  const asJson = caller.flowType === "api" || caller.json;
  switch (outcome.kind) {
    case "form":
      return asJson
        ? json(ctx, outcome.status, shapeFor(era, ctx, outcome.body))
        : redirect(ctx, uiFor(ctx, outcome.flow.id), 302);
    case "success": {
      const id = (outcome.body as SettingsFlowJson).id;
      return asJson
        ? json(ctx, 200, shapeFor(era, ctx, outcome.body))
        : redirect(ctx, successTarget(ctx, outcome.redirectTo, id), 302);
    }
    case "redirect":
      return redirect(ctx, outcome.to, 302);
    case "refresh_required": {
      const to = reauthUrl(ctx, resumeUrl);
      return asJson ? errorJson(ctx, errors.sessionRefreshRequired(to)) : redirect(ctx, to, 302);
    }
    case "browser_location_change":
      if (!asJson) return redirect(ctx, outcome.redirectTo, 302);
      return errorJson(ctx, errors.browserLocationChangeRequired(outcome.redirectTo));
    case "error":
      return deliver(ctx, outcome.error, asJson);
  }
}

/**
 * POST (submit) or GET (resume after re-authentication) on `/self-service/browser/flows/profile/update`
 * (v0.1) or `/self-service/browser/flows/settings/strategies/<method>` (v0.2).
 */
const submit =
  (era: Era, fixedMethod: string | undefined, resume: boolean) =>
  async (ctx: RequestContext, params: Params) => {
    const method = fixedMethod ?? params.method ?? "";
    const paths = legacyPaths(ctx.deps.config.publicBase);
    const id = ctx.url.searchParams.get("request");
    const resumeUrl = era === "v0.1" ? paths.profileUpdate(id ?? "") : paths.strategy(method, id ?? "");
    const asJson = ctx.isJson;
    try {
      const { outcome, caller } = await submitSettings(ctx.deps, ctx, {
        flowId: id,
        readPayload: resume ? undefined : async () => withMethod(await readBody(ctx.req), method),
        json: asJson,
      });
      return await sendLegacy(ctx, era, outcome, caller, resumeUrl);
    } catch (err) {
      return deliver(ctx, err, asJson);
    }
  };

/** The old login and registration entry points, forwarded to today's (`prompt=login` is `refresh=true`). */
const forward = (to: string) => (ctx: RequestContext) => {
  const target = new URL(to, ctx.deps.config.publicBase);
  const returnTo = ctx.url.searchParams.get("return_to");
  if (ctx.url.searchParams.get("prompt") === "login") target.searchParams.set("refresh", "true");
  if (returnTo) target.searchParams.set("return_to", returnTo);
  return redirect(ctx, target.toString(), 302);
};

/** The legacy routes on the public listener. */
export function legacyPublicRoutes(): Route[] {
  return [
    route("GET", LEGACY.profileInit, init),
    route("GET", LEGACY.profileRequest, fetchRequest("v0.1", "public")),
    route("POST", LEGACY.profileUpdate, submit("v0.1", "profile", false)),
    // Not in v0.1 (protected traits were immutable then); resumes a change paused for re-auth.
    route("GET", LEGACY.profileUpdate, submit("v0.1", undefined, true)),
    route("GET", LEGACY.settingsInit, init),
    route("GET", LEGACY.settingsRequest, fetchRequest("v0.2", "public")),
    route("POST", LEGACY.settingsStrategy, submit("v0.2", undefined, false)),
    route("GET", LEGACY.settingsStrategy, submit("v0.2", undefined, true)),
    route("GET", LEGACY.login, forward("self-service/login/browser")),
    route("GET", LEGACY.registration, forward("self-service/registration/browser")),
  ];
}

/** The legacy routes on the admin listener: reading a request without the browser's cookies. */
export function legacyAdminRoutes(): Route[] {
  return [
    route("GET", LEGACY.profileRequest, fetchRequest("v0.1", "admin")),
    route("GET", LEGACY.settingsRequest, fetchRequest("v0.2", "admin")),
  ];
}
