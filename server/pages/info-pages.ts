import type { FullIdentity } from "../../db/store.ts";
import { redirect } from "../http/respond.ts";
import type { RequestContext } from "../request/context.ts";
import { noticeOf } from "./account-pages.ts";
import { errorBody } from "./flow-pages.ts";
import { html, link, pageResponse, publicPath, publicUrl } from "./html.ts";

/** `GET /ui/` sends the browser to the welcome page. */
export function uiIndex(ctx: RequestContext): Response {
  return redirect(ctx, publicUrl(ctx, "/ui/welcome"));
}

/** `GET /ui/error?id=`: the browser error container (contract §1.3), read like `GET /self-service/errors`. */
export async function errorContainerPage(ctx: RequestContext): Promise<Response> {
  const q = ctx.url.searchParams;
  const id = q.get("id") ?? q.get("error");
  const home = link(publicPath(ctx, "/ui/welcome"), "Home");
  let error: Record<string, unknown> | undefined;
  if (id === "stub:500") {
    error = {
      code: 500,
      status: "Internal Server Error",
      reason: "This is a stub error.",
      message: "An internal server error occurred, please contact the system administrator",
    };
  } else if (id) {
    const found = await ctx.deps.store.getError(id).catch(() => undefined);
    if (found) {
      await ctx.deps.store.markErrorSeen(found.id, ctx.deps.clock.now());
      error = found.error;
    }
  }
  if (!error) {
    return pageResponse(ctx, 404, {
      title: "Page not found",
      heading: "We couldn't find that",
      body: html`<p>This error report doesn't exist or is no longer available. Whatever went wrong, starting again usually helps.</p>
<div class="actions">${link(publicUrl(ctx, "/self-service/login/browser"), "Sign in", "button")}</div>
`,
      nav: home,
    });
  }
  return pageResponse(ctx, 200, {
    title: "Something went wrong",
    body: html`${errorBody(error)}<div class="actions">${link(publicUrl(ctx, "/self-service/login/browser"), "Start again", "button")}</div>
`,
    nav: home,
  });
}

/** The address to greet a person with: the `email` trait, else their login identifier, else the id. */
function whoOf(identity: FullIdentity): string {
  const email = identity.traits.email;
  if (typeof email === "string" && email) return email;
  const identifier = identity.credentials.find((c) => c.identifiers.length > 0)?.identifiers[0];
  return identifier ?? identity.id;
}

function firstNameOf(identity: FullIdentity): string | undefined {
  const name = identity.traits.name as { first?: unknown } | string | undefined;
  if (typeof name === "string" && name.trim()) return name.trim();
  if (name && typeof name === "object" && typeof name.first === "string" && name.first.trim()) {
    return name.first.trim();
  }
  return undefined;
}

/** `GET /ui/welcome`: who is signed in, with links to settings and sign-out; or links to sign in/up. */
export async function welcomePage(ctx: RequestContext): Promise<Response> {
  const active = await ctx.deps.sessions.fromRequest(ctx);
  if (!active) {
    return pageResponse(ctx, 200, {
      title: "Welcome",
      body: html`${noticeOf(ctx)}<p>You are not signed in.</p>
<div class="actions">${link(publicUrl(ctx, "/self-service/login/browser"), "Sign in", "button")}${link(publicUrl(ctx, "/self-service/registration/browser"), "Create account", "button button--secondary")}</div>
`,
    });
  }
  // The logout URL, made in-process exactly as `GET /self-service/logout/browser` makes it.
  const logout = new URL("self-service/logout", ctx.deps.config.publicBase);
  logout.searchParams.set("token", active.session.logoutToken);
  const first = firstNameOf(active.identity);
  return pageResponse(ctx, 200, {
    title: "Welcome",
    heading: first ? `Welcome, ${first}` : "Welcome",
    body: html`${noticeOf(ctx)}<p class="who">You are signed in as <strong data-testid="identity-email">${whoOf(active.identity)}</strong>.</p>
<div class="actions">${link(publicUrl(ctx, "/self-service/settings/browser"), "Account settings", "button")}${link(logout.toString(), "Sign out", "button button--secondary")}</div>
`,
  });
}
