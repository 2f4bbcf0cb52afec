import {
  checkRevertToken,
  type RevertOutcome,
  revertAddressChange,
  revertRefusal,
} from "../account/address-change.ts";
import type { RequestContext } from "../request/context.ts";
import { HttpError } from "../request/errors.ts";
import { html, link, pageResponse, publicPath, publicUrl } from "./html.ts";

/**
 * The "this wasn't me" link of an address-change notice, for a browser. Opening it (GET) only
 * shows what it will do and a button, because mail scanners open links; the button POSTs the token
 * back and the change is undone. Unknown, expired and used links get a page saying so.
 */

const ACTION = "/self-service/account/address-change/revert";

function refusedPage(ctx: RequestContext, err: HttpError): Response {
  const messageId = (err.details?.message_id as number | undefined) ?? 4900004;
  return pageResponse(ctx, err.code, {
    title: "Link not valid",
    body: html`<div class="messages messages--error" role="alert"><p class="message message--error" data-message-id="${messageId}">${err.reason}</p></div>
<p>If you did not change your address and it was changed anyway, sign in and check your account, or reset your password.</p>
<div class="actions">${link(publicUrl(ctx, "/self-service/login/browser"), "Sign in", "button")}${link(publicUrl(ctx, "/self-service/recovery/browser"), "Recover account", "button button--secondary")}</div>
`,
  });
}

/** `GET …/revert?token=`: a confirmation form, nothing changed yet. */
export async function revertConfirmPage(ctx: RequestContext, token: string | null): Promise<Response> {
  const check = await checkRevertToken(ctx.deps, token);
  if (!check.ok) return refusedPage(ctx, revertRefusal(check.reason));
  const applied = check.change.status === "applied";
  return pageResponse(ctx, 200, {
    title: "Undo address change",
    body: html`<p>${
      applied
        ? "The email address of your account was changed. Undoing it restores your previous address and signs out every device."
        : "Someone asked to change the email address of your account. It has not taken effect yet; you can cancel it."
    }</p>
<form method="POST" action="${publicPath(ctx, ACTION)}"><input type="hidden" name="token" value="${token}"><div class="actions"><button class="button" type="submit">${applied ? "Undo the change" : "Cancel the change"}</button></div></form>
`,
  });
}

/** `POST …/revert` from the confirmation form. */
export async function revertDonePage(ctx: RequestContext, token: string | null): Promise<Response> {
  let outcome: RevertOutcome;
  try {
    outcome = await revertAddressChange(ctx.deps, ctx, token);
  } catch (err) {
    if (err instanceof HttpError && err.code < 500) return refusedPage(ctx, err);
    throw err;
  }
  return pageResponse(ctx, 200, {
    title: "Address change undone",
    body: html`<div class="messages messages--info" role="status"><p class="message message--info" data-message-id="${outcome.state === "reverted" ? 1900005 : 1900004}">${
      outcome.state === "reverted"
        ? "The address change was undone."
        : "The pending address change was cancelled."
    }</p></div>
<p>${
      outcome.state === "reverted"
        ? "Your previous address is back and every device was signed out. Sign in again and change your password if someone else knew it."
        : "Your address stays as it was."
    }</p>
<div class="actions">${link(publicUrl(ctx, "/self-service/login/browser"), "Sign in", "button")}</div>
`,
  });
}
