import type { UiContainer } from "#shared/ui.ts";
import type { FullIdentity } from "../../db/store.ts";
import { uiOf } from "../flows/kit/record.ts";
import { getLoginFlow, loginFlowJson } from "../flows/login/service.ts";
import { getRegistrationFlow, registrationFlowJson } from "../flows/registration/service.ts";
import { fetchSettingsFlow } from "../flows/settings/service.ts";
import { redirect, toHttpError } from "../http/respond.ts";
import type { RequestContext } from "../request/context.ts";
import type { HttpError } from "../request/errors.ts";
import { escapeHtml, link, type Page, pageResponse, publicPath, publicUrl } from "./html.ts";
import { renderFlow } from "./render-flow.ts";

/**
 * The built-in flow pages (login, registration, settings). Each reads `?flow=`, fetches the flow
 * through the same service functions as the REST `…/flows?id=` routes and renders it generically.
 * Without a flow id, or with one that expired or is unknown, the browser is sent to the flow's init
 * endpoint, which creates a flow and comes back here.
 */

type FlowKind = "login" | "registration" | "settings";

/** The init endpoint of a browser flow, forwarding the given query parameters of this request. */
function initUrl(ctx: RequestContext, kind: FlowKind, forward: readonly string[]): string {
  const q = ctx.url.searchParams;
  return publicUrl(
    ctx,
    `/self-service/${kind}/browser`,
    Object.fromEntries(forward.map((k) => [k, q.get(k)])),
  );
}

const FORWARD: Record<FlowKind, readonly string[]> = {
  login: ["return_to", "refresh", "aal"],
  registration: ["return_to"],
  settings: ["return_to"],
};

/** Turns a failed flow fetch into what a person should see next. */
function flowFailure(ctx: RequestContext, kind: FlowKind, err: unknown): Response {
  const e = toHttpError(ctx, err);
  const init = initUrl(ctx, kind, FORWARD[kind]);
  // Expired: the service names the init URL (with the flow's return_to) in details.redirect_to.
  if (e.code === 410) {
    const target = typeof e.details?.redirect_to === "string" ? e.details.redirect_to : init;
    return redirect(ctx, target);
  }
  // Unknown id, or a settings flow of another identity: start a fresh flow.
  if (e.code === 404 || e.id === "security_identity_mismatch") return redirect(ctx, init);
  if (e.id === "security_csrf_violation") {
    // Not a redirect: if this browser drops cookies, restarting would loop forever.
    return pageResponse(ctx, 403, {
      title: "Please start again",
      body:
        `<div class="messages messages--error" role="alert"><p class="message message--error">This form was opened in another browser session, or your cookies were cleared. For your security it can't be used here.</p></div>\n` +
        `<p>Make sure cookies are enabled for this site, then start again.</p>\n` +
        `<div class="actions">${link(init, "Start again", "button")}</div>\n`,
      nav: homeNav(ctx),
    });
  }
  return errorPage(ctx, e);
}

/** A readable page for an error met while rendering a flow. */
export function errorPage(ctx: RequestContext, e: HttpError): Response {
  return pageResponse(ctx, e.code >= 400 && e.code < 600 ? e.code : 500, {
    title: "Something went wrong",
    body: errorBody(e.toGeneric()),
    nav: homeNav(ctx),
  });
}

/** The message, reason and ids of a generic error (the error container's `error` object). */
export function errorBody(error: Record<string, unknown>): string {
  const text = (k: string) =>
    typeof error[k] === "string" || typeof error[k] === "number" ? String(error[k]) : "";
  const message = text("message") || "An unexpected error occurred.";
  const reason = text("reason");
  const status = [text("code"), text("status")].filter(Boolean).join(" ");
  let out = `<div class="messages messages--error" role="alert"><p class="message message--error">${escapeHtml(message)}</p></div>\n`;
  if (reason) out += `<p class="reason">${escapeHtml(reason)}</p>\n`;
  const facts: string[] = [];
  if (status) facts.push(`Status: <code>${escapeHtml(status)}</code>`);
  if (text("id")) facts.push(`Error: <code>${escapeHtml(text("id"))}</code>`);
  if (facts.length > 0) out += `<p class="details">${facts.join(" · ")}</p>\n`;
  return out;
}

function homeNav(ctx: RequestContext): string {
  return link(publicPath(ctx, "/ui/welcome"), "Home");
}

/** Keeps a flow's return_to on the links to the sibling flows, as Kratos UIs do. */
function withReturnTo(ctx: RequestContext, path: string, returnTo: string | undefined): string {
  return publicUrl(ctx, path, { return_to: returnTo });
}

/** `GET /ui/login`: sign in, or "Confirm it's you" for refresh (re-authentication) flows. */
export async function loginPage(ctx: RequestContext): Promise<Response> {
  const id = ctx.url.searchParams.get("flow");
  if (!id) return redirect(ctx, initUrl(ctx, "login", FORWARD.login));
  let flow: ReturnType<typeof loginFlowJson>;
  try {
    const record = await getLoginFlow(ctx.deps, ctx, id);
    flow = loginFlowJson(record);
  } catch (err) {
    return flowFailure(ctx, "login", err);
  }
  const returnTo = flow.return_to;
  if (flow.refresh) {
    return flowPage(ctx, flow.ui, {
      title: "Confirm it's you",
      id: "login",
      nav: link(publicPath(ctx, "/ui/welcome"), "Back to your account"),
    });
  }
  const signUp = withReturnTo(ctx, "/self-service/registration/browser", returnTo);
  const forgot = ctx.deps.config.raw.selfservice.flows.recovery.enabled
    ? `<p class="alt">${link(withReturnTo(ctx, "/self-service/recovery/browser", returnTo), "Forgot password?")}</p>\n`
    : "";
  return flowPage(ctx, flow.ui, {
    title: "Sign in",
    id: "login",
    after: `${forgot}<p class="alt">New here? ${link(signUp, "Create an account")}</p>\n`,
  });
}

/** `GET /ui/registration`: create an account. */
export async function registrationPage(ctx: RequestContext): Promise<Response> {
  const id = ctx.url.searchParams.get("flow");
  if (!id) return redirect(ctx, initUrl(ctx, "registration", FORWARD.registration));
  let flow: ReturnType<typeof registrationFlowJson>;
  try {
    const record = await getRegistrationFlow(ctx.deps, ctx, id);
    flow = registrationFlowJson(record);
  } catch (err) {
    return flowFailure(ctx, "registration", err);
  }
  const signIn = withReturnTo(ctx, "/self-service/login/browser", flow.return_to);
  return flowPage(ctx, flow.ui, {
    title: "Create account",
    id: "registration",
    after: `<p class="alt">Already have an account? ${link(signIn, "Sign in")}</p>\n`,
  });
}

/** `GET /ui/settings`: one form per method (profile, password, …), each with its CSRF token. */
export async function settingsPage(ctx: RequestContext): Promise<Response> {
  const id = ctx.url.searchParams.get("flow");
  if (!id) return redirect(ctx, initUrl(ctx, "settings", FORWARD.settings));
  const active = await ctx.deps.sessions.fromRequest(ctx);
  if (!active) {
    // After signing in, the settings init endpoint (allowed as return_to) starts a fresh flow.
    const back = initUrl(ctx, "settings", FORWARD.settings);
    return redirect(ctx, publicUrl(ctx, "/self-service/login/browser", { return_to: back }));
  }
  let ui: UiContainer;
  const addresses = verificationStatus(ctx, active.identity);
  try {
    // Signed in, so the fetch answers with the flow or throws; it never redirects.
    const outcome = await fetchSettingsFlow(ctx.deps, ctx, id, true);
    if (outcome.kind !== "form") return redirect(ctx, initUrl(ctx, "settings", FORWARD.settings));
    ui = uiOf(outcome.flow);
  } catch (err) {
    return flowFailure(ctx, "settings", err);
  }
  const logout = new URL("self-service/logout", ctx.deps.config.publicBase);
  logout.searchParams.set("token", active.session.logoutToken);
  return flowPage(ctx, ui, {
    title: "Account settings",
    id: "settings",
    formPerGroup: true,
    after: addresses,
    legends: { oidc: "Linked sign-ins" },
    nav: `${link(publicPath(ctx, "/ui/welcome"), "Back to your account")}${link(logout.toString(), "Sign out")}`,
  });
}

function flowPage(
  ctx: RequestContext,
  ui: UiContainer,
  opts: {
    title: string;
    id: string;
    formPerGroup?: boolean;
    legends?: Partial<Record<string, string>>;
    after?: string;
    nav?: string;
  },
): Response {
  const page: Page = {
    title: opts.title,
    body:
      renderFlow(ui, {
        id: opts.id,
        formPerGroup: opts.formPerGroup ?? false,
        ...(opts.legends ? { legends: opts.legends } : {}),
      }) + (opts.after ?? ""),
  };
  if (opts.nav) page.nav = opts.nav;
  return pageResponse(ctx, 200, page);
}

/**
 * Each verifiable address with its status and, while verification is on and it is not verified
 * yet, a "Verify" action (a new verification flow; the code goes to the address typed there).
 */
function verificationStatus(ctx: RequestContext, identity: FullIdentity): string {
  const addresses = identity.verifiableAddresses;
  if (addresses.length === 0) return "";
  const on = ctx.deps.config.raw.selfservice.flows.verification.enabled;
  const verify = publicUrl(ctx, "/self-service/verification/browser", {
    return_to: publicUrl(ctx, "/self-service/settings/browser", {}),
  });
  const rows = addresses
    .map((a) => {
      const state = a.verified ? "verified" : "not verified";
      const action = !a.verified && on ? ` ${link(verify, "Verify")}` : "";
      return `<li class="address address--${a.verified ? "verified" : "unverified"}"><span>${escapeHtml(a.value)}</span> — ${state}${action}</li>`;
    })
    .join("\n");
  return `<section class="addresses"><h2>Addresses</h2>\n<ul>\n${rows}\n</ul></section>\n`;
}
