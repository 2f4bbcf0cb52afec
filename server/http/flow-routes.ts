import type { ResolvedConfig } from "../config/resolve.ts";
import type { Caller, FlowOutcome, SubmitInput, Submitted } from "../flows/kit/outcome.ts";
import { readBody } from "../request/body.ts";
import type { RequestContext } from "../request/context.ts";
import { sendOutcome } from "./outcome.ts";
import { deliverError, errorJson, json, redirect, toHttpError } from "./respond.ts";
import { type Route, route } from "./router.ts";

/** What a flow offers the REST adapter: create, fetch by id and submit (contract §4, §16). */
export interface FlowEndpoints {
  /** `login`, `registration`, `settings`: the path segment under /self-service/. */
  kind: string;
  /** The UI browsers are sent to with `?flow=<id>`. */
  uiUrl(config: ResolvedConfig): string;
  init(ctx: RequestContext, type: "browser" | "api", caller: Caller): Promise<FlowOutcome>;
  fetch(ctx: RequestContext, id: string | null, json: boolean): Promise<FlowOutcome>;
  submit(ctx: RequestContext, input: SubmitInput): Promise<Submitted>;
  /** Whether `GET /self-service/<kind>?flow=` resumes a paused submission (settings, §4.5). */
  resumable?: boolean;
}

/**
 * The routes of one flow, all alike: `GET …/browser` and `…/api` create, `GET …/flows?id=` fetches,
 * `POST …?flow=` submits. Every outcome goes through the one mapping in outcome.ts.
 */
export function flowRoutes(flow: FlowEndpoints): Route[] {
  const base = `/self-service/${flow.kind}`;
  const init = (type: "browser" | "api") => async (ctx: RequestContext) => {
    const caller: Caller = { flowType: type, json: type === "api" || ctx.acceptsJson };
    try {
      return await sendOutcome(ctx, await flow.init(ctx, type, caller), caller, flow.uiUrl(ctx.deps.config));
    } catch (err) {
      return deliverError(ctx, err, caller.json);
    }
  };
  const fetch = async (ctx: RequestContext) => {
    try {
      const outcome = await flow.fetch(ctx, ctx.url.searchParams.get("id"), ctx.isJson);
      if (outcome.kind === "redirect") return redirect(ctx, outcome.to, outcome.status);
      if (outcome.kind === "form") return json(ctx, 200, outcome.body);
      throw new Error(`a fetch ended in "${outcome.kind}"`);
    } catch (err) {
      return errorJson(ctx, toHttpError(ctx, err));
    }
  };
  const submit = (resume: boolean) => async (ctx: RequestContext) => {
    const asJson = ctx.isJson;
    try {
      const { outcome, caller } = await flow.submit(ctx, {
        flowId: ctx.url.searchParams.get("flow"),
        readPayload: resume ? undefined : () => readBody(ctx.req),
        json: asJson,
      });
      return await sendOutcome(ctx, outcome, caller, flow.uiUrl(ctx.deps.config));
    } catch (err) {
      return deliverError(ctx, err, asJson);
    }
  };
  return [
    route("GET", `${base}/browser`, init("browser")),
    route("GET", `${base}/api`, init("api")),
    route("GET", `${base}/flows`, fetch),
    route("POST", base, submit(false)),
    ...(flow.resumable ? [route("GET", base, submit(true))] : []),
  ];
}
