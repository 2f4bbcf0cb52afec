import type { FlowRecord } from "../../../db/store.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { assertCsrf, assertNotBrowser } from "../../request/csrf.ts";
import { HttpError } from "../../request/errors.ts";

/**
 * The CSRF rule of every flow submission (contract §9), in one place: browser flows verify the
 * body's `csrf_token` against the CSRF cookie (a 403 `security_csrf_violation`); api flows instead
 * refuse requests that carry an Origin header or cookies (§9.3), a 400 the flow renders as 4000001.
 * Returns the violation, or undefined when the request passes.
 */
export function checkCsrf(ctx: RequestContext, flow: FlowRecord, values: FormValues): HttpError | undefined {
  try {
    if (flow.type === "api") assertNotBrowser(ctx.req, ctx.cookies.keys());
    else
      assertCsrf({
        req: ctx.req,
        cookieToken: ctx.csrfCookieToken,
        sentToken: values.get("csrf_token")?.[0],
      });
    return undefined;
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
}
