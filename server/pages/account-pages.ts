import type { FullIdentity, SessionRecord } from "../../db/store.ts";
import { coarseClient, coarseNetwork } from "../account/history.ts";
import { DELETION_CONFIRMATION, ownHistory, requestDeletion } from "../account/service.ts";
import { redirect, toHttpError } from "../http/respond.ts";
import { readBody } from "../request/body.ts";
import type { RequestContext } from "../request/context.ts";
import { assertCsrf } from "../request/csrf.ts";
import { revokeOtherSession, revokeOtherSessions } from "../session/self-service.ts";
import type { ActiveSession } from "../session/service.ts";
import { attr, html, link, pageResponse, publicPath, publicUrl, type SafeHtml } from "./html.ts";

/**
 * The account centre's own pages beside the settings flow (/ui/settings): sessions and devices,
 * security history, and "your data" (export and deletion). They call the same services as
 * `/sessions` and `/self-service/account/*`; every action is a plain form post with the CSRF
 * token that redirects back with a fixed notice, so nothing here needs script.
 */

type Section = "settings" | "sessions" | "history" | "data";

/** The address or identifier a person signs in with (the password form's hidden username). */
export function identifierOf(identity: FullIdentity): string {
  const email = identity.traits.email;
  if (typeof email === "string" && email) return email;
  return identity.credentials.find((c) => c.identifiers.length > 0)?.identifiers[0] ?? identity.id;
}

/** The section navigation; on the settings page its links point into the same flow. */
export function accountSections(ctx: RequestContext, current: Section, flowId?: string | null): SafeHtml {
  const cfg = ctx.deps.config.raw;
  const settings = (anchor: string) =>
    current === "settings" && flowId
      ? `${publicUrl(ctx, "/ui/settings", { flow: flowId })}#${anchor}`
      : `${publicPath(ctx, "/ui/settings")}#${anchor}`;
  const items: { href: string; text: string; here: boolean }[] = [
    { href: settings("settings-form-profile"), text: "Profile", here: current === "settings" },
    { href: settings("settings-form-password"), text: "Password", here: false },
  ];
  if (cfg.selfservice.methods.oidc.enabled) {
    items.push({ href: settings("settings-form-oidc"), text: "Linked sign-ins", here: false });
  }
  items.push({ href: settings("addresses"), text: "Email addresses", here: false });
  items.push({
    href: publicPath(ctx, "/ui/account/sessions"),
    text: "Sessions and devices",
    here: current === "sessions",
  });
  if (cfg.account.history.enabled) {
    items.push({
      href: publicPath(ctx, "/ui/account/history"),
      text: "Security history",
      here: current === "history",
    });
  }
  if (cfg.account.export.enabled || cfg.account.deletion.enabled) {
    items.push({ href: publicPath(ctx, "/ui/account/data"), text: "Your data", here: current === "data" });
  }
  return html`<ul>${items.map(
    (i) =>
      html`<li><a href="${i.href}"${attr("aria-current", i.here ? "page" : undefined)}>${i.text}</a></li>`,
  )}</ul>`;
}

/**
 * Notices shown after a redirect (`?notice=`): fixed texts chosen by code, so a crafted link can
 * only pick one of these, never put its own words on the page.
 */
function noticeText(
  ctx: RequestContext,
  code: string,
): { kind: "success" | "error" | "info"; text: string } | undefined {
  switch (code) {
    case "session_revoked":
      return { kind: "success", text: "That session was signed out." };
    case "sessions_revoked":
      return { kind: "success", text: "All your other sessions were signed out." };
    case "no_other_sessions":
      return { kind: "info", text: "There were no other sessions to sign out." };
    case "session_unknown":
      return { kind: "error", text: "That session no longer exists or was already signed out." };
    case "deletion_scheduled":
      return {
        kind: "info",
        text: `Your account will be deleted in ${duration(ctx.deps.config.ms.deletionGracePeriod)}. Sign in again before then to keep it.`,
      };
    case "confirmed":
      return { kind: "info", text: "Thanks for confirming it's you. You can continue now." };
    default:
      return undefined;
  }
}

/** The notice named by `?notice=` in a live region, or nothing. */
export function noticeOf(ctx: RequestContext): SafeHtml | "" {
  const code = ctx.url.searchParams.get("notice");
  const notice = code ? noticeText(ctx, code) : undefined;
  if (!notice) return "";
  const role = notice.kind === "error" ? "alert" : "status";
  return html`<div class="messages messages--${notice.kind}" role="${role}" data-notice="${code}"><p class="message message--${notice.kind}">${notice.text}</p></div>
`;
}

function duration(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours >= 48 && hours % 24 === 0) return `${hours / 24} days`;
  if (hours >= 1) return hours === 1 ? "1 hour" : `${hours} hours`;
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

// Made on first use: building a DateTimeFormat maps about 6 MiB of ICU data into the process,
// which a server that never shows these pages should not carry.
let whenFormat: Intl.DateTimeFormat | undefined;
function whenText(d: Date): string {
  whenFormat ??= new Intl.DateTimeFormat("en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "UTC",
  });
  return whenFormat.format(d);
}

/** A coarse, readable time (minutes, UTC) with the exact one for machines. */
function when(at: Date | string): SafeHtml {
  const d = typeof at === "string" ? new Date(at) : at;
  return html`<time datetime="${d.toISOString()}">${whenText(d)} UTC</time>`;
}

/** The signed-in person, or a redirect through sign-in that comes back to this page. */
async function signedIn(ctx: RequestContext, here: string): Promise<ActiveSession | Response> {
  const active = await ctx.deps.sessions.fromRequest(ctx);
  if (active) return active;
  return redirect(ctx, publicUrl(ctx, "/self-service/login/browser", { return_to: publicUrl(ctx, here) }));
}

function accountPage(
  ctx: RequestContext,
  active: ActiveSession,
  section: Section,
  title: string,
  body: SafeHtml,
  status = 200,
): Response {
  const logout = new URL("self-service/logout", ctx.deps.config.publicBase);
  logout.searchParams.set("token", active.session.logoutToken);
  return pageResponse(ctx, status, {
    title,
    body,
    sections: accountSections(ctx, section),
    nav: html`${link(publicPath(ctx, "/ui/welcome"), "Back to your account")}${link(logout.toString(), "Sign out")}`,
  });
}

function csrfField(ctx: RequestContext): SafeHtml {
  return html`<input type="hidden" name="csrf_token" value="${ctx.maskedCsrf()}">`;
}

/** `GET /ui/account`: the account centre starts with the profile. */
export function accountIndex(ctx: RequestContext): Response {
  return redirect(ctx, publicUrl(ctx, "/ui/settings"));
}

function deviceOf(s: SessionRecord): { client: string; network: string | null } {
  const device = s.devices.at(-1);
  return {
    client: coarseClient(device?.userAgent) ?? "Unknown device",
    network: coarseNetwork(device?.ipAddress),
  };
}

/** `GET /ui/account/sessions`: where the person is signed in, with "sign out" for the others. */
export async function sessionsPage(ctx: RequestContext): Promise<Response> {
  const active = await signedIn(ctx, "/ui/account/sessions");
  if (active instanceof Response) return active;
  const { session, identity } = active;
  const all = (await ctx.deps.store.listSessions(identity.id, { active: true })).filter((s) =>
    ctx.deps.sessions.isActive(s, identity),
  );
  const others = all
    .filter((s) => s.id !== session.id)
    .sort((a, b) => +b.authenticatedAt - +a.authenticatedAt);
  const action = publicPath(ctx, "/ui/account/sessions/revoke");
  const row = (s: SessionRecord, current: boolean) => {
    const d = deviceOf(s);
    const id = `session-${s.id}`;
    const methods = [...new Set(s.authenticationMethods.map((m) => m.method))].join(", ");
    return html`<li data-session="${current ? "current" : "other"}"><span id="${id}"><span class="primary">${d.client}${current ? html`<span class="badge badge--ok">This device</span>` : ""}</span><span class="secondary">Signed in ${when(s.authenticatedAt)}${methods ? ` with ${methods}` : ""}${d.network ? ` · network ${d.network}` : ""}</span><span class="secondary">Expires ${when(s.expiresAt)}</span></span>${
      current
        ? ""
        : html`<form action="${action}" method="post">${csrfField(ctx)}<input type="hidden" name="session_id" value="${s.id}"><button type="submit" class="button button--secondary inline-button" aria-describedby="${id}">Sign out this session</button></form>`
    }</li>
`;
  };
  const body = html`${noticeOf(ctx)}<p>These are the browsers and apps signed in to your account. If you don't recognise one, sign it out and change your password.</p>
<ul class="list sessions">
${row(session, true)}${others.map((s) => row(s, false))}</ul>
${
  others.length > 0
    ? html`<form action="${publicPath(ctx, "/ui/account/sessions/revoke-others")}" method="post">${csrfField(ctx)}<button type="submit" class="button button--secondary">Sign out all other sessions</button></form>
`
    : html`<p class="details">You are not signed in anywhere else.</p>
`
}`;
  return accountPage(ctx, active, "sessions", "Sessions and devices", body);
}

/** Reads a urlencoded form post and checks its CSRF token; a bad token gets a page, not a 500. */
async function formPost(ctx: RequestContext): Promise<Map<string, string[]> | Response> {
  let values: Map<string, string[]> | undefined;
  let csrf = false;
  try {
    const body = await readBody(ctx.req);
    if (body.kind === "form") {
      values = body.values;
      assertCsrf({
        req: ctx.req,
        cookieToken: ctx.csrfCookieToken,
        sentToken: values.get("csrf_token")?.[0],
      });
    }
  } catch (err) {
    csrf = toHttpError(ctx, err).id === "security_csrf_violation";
    values = undefined;
  }
  if (!values) {
    return pageResponse(ctx, csrf ? 403 : 400, {
      title: "Please start again",
      body: html`<div class="messages messages--error" role="alert"><p class="message message--error">${
        csrf
          ? "This form was opened in another browser session, or your cookies were cleared. For your security it can't be used here."
          : "This request could not be read."
      }</p></div>
<div class="actions">${link(publicPath(ctx, "/ui/settings"), "Back to your account", "button")}</div>
`,
    });
  }
  return values;
}

/** `POST /ui/account/sessions/revoke` (`session_id`): signs out one other session. */
export async function revokeSessionAction(ctx: RequestContext): Promise<Response> {
  const active = await signedIn(ctx, "/ui/account/sessions");
  if (active instanceof Response) return active;
  const values = await formPost(ctx);
  if (values instanceof Response) return values;
  const id = values.get("session_id")?.[0] ?? "";
  let notice = "session_revoked";
  try {
    if (!id || id === active.session.id) throw new Error("not another session");
    await revokeOtherSession(ctx.deps, ctx, id);
  } catch {
    notice = "session_unknown";
  }
  return redirect(ctx, publicUrl(ctx, "/ui/account/sessions", { notice }));
}

/** `POST /ui/account/sessions/revoke-others`: signs out every other session. */
export async function revokeOthersAction(ctx: RequestContext): Promise<Response> {
  const active = await signedIn(ctx, "/ui/account/sessions");
  if (active instanceof Response) return active;
  const values = await formPost(ctx);
  if (values instanceof Response) return values;
  const { count } = await revokeOtherSessions(ctx.deps, ctx);
  const notice = count > 0 ? "sessions_revoked" : "no_other_sessions";
  return redirect(ctx, publicUrl(ctx, "/ui/account/sessions", { notice }));
}

const EVENT_TEXT: Record<string, string> = {
  registration: "Account created",
  login: "Signed in",
  login_failed: "Sign-in failed: wrong password",
  session_revoked: "Signed out a session",
  sessions_revoked: "Signed out all other sessions",
  deletion_requested: "Account deletion requested",
  deletion_cancelled: "Account deletion cancelled",
};

const SETTINGS_TEXT: Record<string, string> = {
  profile: "Profile changed",
  password: "Password changed",
  oidc: "Linked sign-ins changed",
};

function eventText(type: string, method: string | null): string {
  if (type === "settings") return (method && SETTINGS_TEXT[method]) || "Settings changed";
  return EVENT_TEXT[type] ?? type.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

const HISTORY_PAGE = 50;

/** `GET /ui/account/history[?before=]`: the person's security history, newest first. */
export async function historyPageView(ctx: RequestContext): Promise<Response> {
  const active = await signedIn(ctx, "/ui/account/history");
  if (active instanceof Response) return active;
  if (!ctx.deps.config.raw.account.history.enabled) {
    return accountPage(
      ctx,
      active,
      "history",
      "Security history",
      html`<p>Security history is not kept on this server.</p>\n`,
    );
  }
  let entries: Awaited<ReturnType<typeof ownHistory>>;
  try {
    entries = await ownHistory(ctx.deps, ctx, {
      pageSize: HISTORY_PAGE,
      before: ctx.url.searchParams.get("before"),
    });
  } catch {
    return redirect(ctx, publicUrl(ctx, "/ui/account/history"));
  }
  const rows = entries.map((e) => {
    const failed = e.outcome === "failure";
    const facts = [
      e.method && e.type !== "settings" ? `with ${e.method}` : "",
      e.client ?? "",
      e.network ? `network ${e.network}` : "",
    ]
      .filter(Boolean)
      .join(" · ");
    return html`<li data-event="${e.type}"><span><span class="primary">${eventText(e.type, e.method)}${failed ? html`<span class="badge badge--warn">failed</span>` : ""}</span><span class="secondary">${when(e.created_at)}${facts ? ` · ${facts}` : ""}</span></span></li>
`;
  });
  const older =
    entries.length === HISTORY_PAGE
      ? html`<p>${link(publicUrl(ctx, "/ui/account/history", { before: entries.at(-1)!.created_at }), "Older entries")}</p>\n`
      : "";
  const days = duration(ctx.deps.config.ms.historyRetention);
  const body = html`<p>Sign-ins, changes to your account and signed-out sessions from the last ${days}. Places and devices are shown roughly, on purpose.</p>
${
  rows.length > 0
    ? html`<ul class="list history">
${rows}</ul>
`
    : html`<p class="details">Nothing yet.</p>\n`
}${older}`;
  return accountPage(ctx, active, "history", "Security history", body);
}

/** `GET /ui/account/data`: export and deletion, as configured. */
export async function dataPage(ctx: RequestContext): Promise<Response> {
  const active = await signedIn(ctx, "/ui/account/data");
  if (active instanceof Response) return active;
  return dataView(ctx, active);
}

function dataView(ctx: RequestContext, active: ActiveSession, error?: string, status = 200): Response {
  const { export: exp, deletion } = ctx.deps.config.raw.account;
  const parts: SafeHtml[] = [noticeOf(ctx) || html``];
  if (exp.enabled) {
    parts.push(html`<section class="section" aria-labelledby="export-heading"><h2 id="export-heading">Download your data</h2>
<p>A JSON file with your profile, addresses, how you sign in (never a password or secret), your sessions and your security history.</p>
<p><a class="button button--secondary inline-button" href="${publicPath(ctx, "/self-service/account/export")}" download="account-export.json">Download your data</a></p>
</section>
`);
  }
  if (deletion.enabled) {
    const grace = duration(ctx.deps.config.ms.deletionGracePeriod);
    const privileged = ctx.deps.sessions.isPrivileged(active.session);
    const hint = "delete-hint";
    const errorId = "delete-error";
    parts.push(html`<section class="section" aria-labelledby="delete-heading"><h2 id="delete-heading">Delete your account</h2>
<p>You will be signed out everywhere. Your account is kept for ${grace} in case you change your mind: signing in again before then cancels the deletion. After that it is removed for good.</p>
${privileged ? "" : html`<p class="details">For your security you will be asked to confirm it's you first.</p>\n`}<form class="flow-form" action="${publicPath(ctx, "/ui/account/deletion")}" method="post" novalidate>${csrfField(ctx)}
<div class="field${error ? " field--invalid" : ""}"><label for="delete-confirm">Type <span class="phrase">${DELETION_CONFIRMATION}</span> to confirm</label><input type="text" id="delete-confirm" name="confirm" required autocomplete="off" spellcheck="false" aria-describedby="${error ? `${hint} ${errorId}` : hint}"${attr("aria-invalid", error ? "true" : undefined)}${attr("autofocus", error !== undefined)}><p id="${hint}" class="message message--info">This can't be undone after ${grace}.</p>${error ? html`<p id="${errorId}" class="message message--error">${error}</p>` : ""}</div>
<div class="field field--submit"><button type="submit" class="button button--danger">Delete my account</button></div>
</form>
</section>
`);
  }
  if (!exp.enabled && !deletion.enabled)
    parts.push(html`<p>There is nothing to manage here on this server.</p>\n`);
  return accountPage(ctx, active, "data", "Your data", html`${parts}`, status);
}

/**
 * `POST /ui/account/deletion` (`confirm`, `csrf_token`): the form door to the same deletion as
 * `POST /self-service/account/deletion`, which is JSON-only so that no other site can post it;
 * here the CSRF token does that job. A session that is not privileged signs in again first.
 */
export async function deletionAction(ctx: RequestContext): Promise<Response> {
  const active = await signedIn(ctx, "/ui/account/data");
  if (active instanceof Response) return active;
  if (!ctx.deps.config.raw.account.deletion.enabled) return dataView(ctx, active, undefined, 404);
  const values = await formPost(ctx);
  if (values instanceof Response) return values;
  const confirm = (values.get("confirm")?.[0] ?? "").trim().toLowerCase();
  if (confirm !== DELETION_CONFIRMATION) {
    return dataView(ctx, active, `Type "${DELETION_CONFIRMATION}" exactly to confirm.`, 400);
  }
  if (!ctx.deps.sessions.isPrivileged(active.session)) {
    const back = publicUrl(ctx, "/ui/account/data", { notice: "confirmed" });
    return redirect(ctx, publicUrl(ctx, "/self-service/login/browser", { refresh: "true", return_to: back }));
  }
  await requestDeletion(ctx.deps, ctx, { confirm });
  return redirect(ctx, publicUrl(ctx, "/ui/welcome", { notice: "deletion_scheduled" }));
}
