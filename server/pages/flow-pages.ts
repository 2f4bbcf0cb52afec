import type { UiContainer, UiNode, UiText } from "#shared/ui.ts";
import type { FullIdentity } from "../../db/store.ts";
import { CANCEL_FIELD } from "../account/address-change.ts";
import { uiOf } from "../flows/kit/record.ts";
import { getLoginFlow, loginFlowJson } from "../flows/login/service.ts";
import { getRegistrationFlow, registrationFlowJson } from "../flows/registration/service.ts";
import { fetchSettingsFlow } from "../flows/settings/service.ts";
import { redirect, toHttpError } from "../http/respond.ts";
import type { RequestContext } from "../request/context.ts";
import type { HttpError } from "../request/errors.ts";
import { accountSections, identifierOf } from "./account-pages.ts";
import {
  html,
  link,
  type Page,
  pageResponse,
  publicPath,
  publicUrl,
  type SafeHtml,
  safeUrl,
} from "./html.ts";
import { type RenderFlowOptions, renderFlowHtml } from "./render-flow.ts";

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
      body: html`<div class="messages messages--error" role="alert"><p class="message message--error">This form was opened in another browser session, or your cookies were cleared. For your security it can't be used here.</p></div>
<p>Make sure cookies are enabled for this site, then start again.</p>
<div class="actions">${link(init, "Start again", "button")}</div>
`,
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
export function errorBody(error: Record<string, unknown>): SafeHtml {
  const text = (k: string) =>
    typeof error[k] === "string" || typeof error[k] === "number" ? String(error[k]) : "";
  const message = text("message") || "An unexpected error occurred.";
  const reason = text("reason");
  const status = [text("code"), text("status")].filter(Boolean).join(" ");
  const facts: SafeHtml[] = [];
  if (status) facts.push(html`Status: <code>${status}</code>`);
  if (text("id")) facts.push(html`Error: <code>${text("id")}</code>`);
  return html`<div class="messages messages--error" role="alert"><p class="message message--error">${message}</p></div>
${reason ? html`<p class="reason">${reason}</p>\n` : ""}${facts.length > 0 ? html`<p class="details">${facts.map((f, i) => (i > 0 ? [" · ", f] : f))}</p>\n` : ""}`;
}

function homeNav(ctx: RequestContext): SafeHtml {
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
    ? html`<p class="alt">${link(withReturnTo(ctx, "/self-service/recovery/browser", returnTo), "Forgot password?")}</p>\n`
    : "";
  return flowPage(ctx, flow.ui, {
    title: "Sign in",
    id: "login",
    after: html`${forgot}<p class="alt">New here? ${link(signUp, "Create an account")}</p>\n`,
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
    live: true,
    after: html`<p class="alt">Already have an account? ${link(signIn, "Sign in")}</p>\n`,
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
  try {
    // Signed in, so the fetch answers with the flow or throws; it never redirects.
    const outcome = await fetchSettingsFlow(ctx.deps, ctx, id, true);
    if (outcome.kind !== "form") return redirect(ctx, initUrl(ctx, "settings", FORWARD.settings));
    ui = uiOf(outcome.flow);
  } catch (err) {
    return flowFailure(ctx, "settings", err);
  }
  // A pending address change is shown with the addresses, not among the profile's fields.
  const pending = pendingChangeIn(ui);
  if (pending) ui = { ...ui, nodes: ui.nodes.filter((n) => !pending.nodes.includes(n)) };
  const addresses = verificationStatus(ctx, active.identity, pending);
  const logout = new URL("self-service/logout", ctx.deps.config.publicBase);
  logout.searchParams.set("token", active.session.logoutToken);
  return flowPage(ctx, ui, {
    title: "Account settings",
    id: "settings",
    formPerGroup: true,
    live: ["profile", "password"],
    username: identifierOf(active.identity),
    after: addresses,
    legends: { oidc: "Linked sign-ins" },
    sections: accountSections(ctx, "settings", id),
    nav: html`${link(publicPath(ctx, "/ui/welcome"), "Back to your account")}${link(logout.toString(), "Sign out")}`,
  });
}

function flowPage(
  ctx: RequestContext,
  ui: UiContainer,
  opts: Omit<RenderFlowOptions, "id"> & {
    title: string;
    id: string;
    after?: SafeHtml | "";
    nav?: SafeHtml;
    sections?: SafeHtml;
  },
): Response {
  const { title, after, nav, sections, ...render } = opts;
  const page: Page = {
    title,
    body: html`${renderFlowHtml(ui, { ...render, formPerGroup: render.formPerGroup ?? false })}${after ?? ""}`,
  };
  if (nav) page.nav = nav;
  if (sections) page.sections = sections;
  return pageResponse(ctx, 200, page);
}

/**
 * Each verifiable address with its status and, while verification is on and it is not verified
 * yet, a "Verify" action (a new verification flow; the code goes to the address typed there).
 */
function verificationStatus(
  ctx: RequestContext,
  identity: FullIdentity,
  pending: PendingChange | undefined,
): SafeHtml | "" {
  const addresses = identity.verifiableAddresses;
  if (addresses.length === 0 && !pending) return "";
  const on = ctx.deps.config.raw.selfservice.flows.verification.enabled;
  const verify = publicUrl(ctx, "/self-service/verification/browser", {
    return_to: publicUrl(ctx, "/self-service/settings/browser", {}),
  });
  const rows = addresses.map(
    (a) =>
      html`<li class="address address--${a.verified ? "verified" : "unverified"}"><span class="primary">${a.value} <span class="badge badge--${a.verified ? "ok" : "warn"}">${a.verified ? "verified" : "not verified"}</span></span>${!a.verified && on ? link(verify, "Verify", "button button--secondary inline-button") : ""}</li>\n`,
  );
  const waiting = pending
    ? html`<li class="address address--pending" data-pending-address><span id="pending-address"><span class="primary">${pending.address} <span class="badge badge--info">pending verification</span></span><span class="secondary">${pending.text}</span></span><form action="${pending.action}" method="post">${pending.csrf === undefined ? "" : html`<input type="hidden" name="csrf_token" value="${pending.csrf}">`}<button type="submit" name="${CANCEL_FIELD}" value="${pending.value}" class="button button--secondary inline-button" aria-describedby="pending-address">${pending.label}</button></form></li>\n`
    : "";
  return html`<section id="addresses" class="addresses section" aria-labelledby="addresses-heading"><h2 id="addresses-heading">Email addresses</h2>
<ul class="list">
${rows}${waiting}</ul></section>
`;
}

interface PendingChange {
  /** The flow's nodes that this replaces (the text and the cancel button). */
  nodes: UiNode[];
  address: string;
  text: string;
  label: string;
  value: string;
  action: string;
  csrf: string | undefined;
}

/** The pending address change as the settings flow's `profile` nodes describe it, if any. */
function pendingChangeIn(ui: UiContainer): PendingChange | undefined {
  const attrs = (n: UiNode) => n.attributes as unknown as Record<string, unknown>;
  const text = ui.nodes.find((n) => attrs(n).id === "pending_address_change");
  const button = ui.nodes.find((n) => attrs(n).name === CANCEL_FIELD);
  if (!text || !button) return undefined;
  const message = attrs(text).text as UiText | undefined;
  const context = (message?.context ?? {}) as { address?: unknown };
  const csrf = ui.nodes.find((n) => attrs(n).name === "csrf_token");
  const csrfValue = csrf ? attrs(csrf).value : undefined;
  return {
    nodes: [text, button],
    address: typeof context.address === "string" ? context.address : "",
    text: message?.text ?? "",
    label: button.meta.label?.text ?? "Cancel the change",
    value: String(attrs(button).value ?? "true"),
    action: safeUrl(ui.action) ?? "",
    csrf: typeof csrfValue === "string" ? csrfValue : undefined,
  };
}
