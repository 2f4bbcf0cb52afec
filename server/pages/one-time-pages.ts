import { getRecoveryFlow, recoveryFlowJson } from "../flows/recovery/service.ts";
import { getVerificationFlow, verificationFlowJson } from "../flows/verification/service.ts";
import { redirect, toHttpError } from "../http/respond.ts";
import type { RequestContext } from "../request/context.ts";
import { errorPage } from "./flow-pages.ts";
import { html, link, pageResponse, publicPath, publicUrl } from "./html.ts";
import { type renderFlow, renderFlowHtml } from "./render-flow.ts";

/**
 * The built-in verification and recovery pages: like the other flow pages they fetch the flow
 * through the service the REST `…/flows?id=` route uses and render its nodes generically; an
 * unknown or expired flow starts a new one.
 */

function restart(ctx: RequestContext, kind: "verification" | "recovery"): string {
  return publicUrl(ctx, `/self-service/${kind}/browser`, {
    return_to: ctx.url.searchParams.get("return_to"),
  });
}

async function page(
  ctx: RequestContext,
  kind: "verification" | "recovery",
  title: string,
  load: (id: string) => Promise<{ ui: Parameters<typeof renderFlow>[0] }>,
): Promise<Response> {
  const id = ctx.url.searchParams.get("flow");
  if (!id) return redirect(ctx, restart(ctx, kind));
  let ui: Parameters<typeof renderFlow>[0];
  try {
    ui = (await load(id)).ui;
  } catch (err) {
    const e = toHttpError(ctx, err);
    if (e.code === 404 || e.code === 410 || e.id === "security_csrf_violation")
      return redirect(ctx, restart(ctx, kind));
    return errorPage(ctx, e);
  }
  return pageResponse(ctx, 200, {
    title,
    body: html`${renderFlowHtml(ui, { id: kind, formPerGroup: false })}<p class="alt">${link(publicPath(ctx, "/ui/login"), "Back to sign in")}</p>
`,
  });
}

/** `GET /ui/verification`: enter the address, then the mailed code. */
export function verificationPage(ctx: RequestContext): Promise<Response> {
  return page(ctx, "verification", "Verify your email address", async (id) =>
    verificationFlowJson(await getVerificationFlow(ctx.deps, ctx, id)),
  );
}

/** `GET /ui/recovery`: "Forgot password?" — the address, then the mailed code, then settings. */
export function recoveryPage(ctx: RequestContext): Promise<Response> {
  return page(ctx, "recovery", "Recover your account", async (id) =>
    recoveryFlowJson(await getRecoveryFlow(ctx.deps, ctx, id)),
  );
}
