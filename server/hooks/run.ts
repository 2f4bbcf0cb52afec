import type { FullIdentity } from "../../db/store.ts";
import type { HookConfig } from "../config/schema.ts";
import type { AppDeps } from "../deps.ts";
import type { RequestContext } from "../request/context.ts";
import { callWebHook, isPrePersist, type WebHookIdentityPatch, type WebHookIssue } from "./web-hook.ts";

/** What running a list of hooks asks the flow to do next. */
export type HookVerdict =
  | { kind: "continue"; patch?: WebHookIdentityPatch }
  /** A hook rejected the submission with messages; render them like validation errors. */
  | { kind: "reject"; issues: WebHookIssue[] };

export interface HookRun {
  deps: AppDeps;
  ctx: RequestContext;
  flowJson: unknown;
  identityJson?: unknown;
  sessionJson?: unknown;
  /** The session the request came with; `revoke_active_sessions` keeps it. */
  sessionId?: string;
  identity?: FullIdentity;
}

function requestInfo(ctx: RequestContext) {
  return {
    headers: ctx.req.headers,
    method: ctx.req.method,
    url: ctx.requestUrl,
    cookies: Object.fromEntries(ctx.cookies),
  };
}

/**
 * Runs hooks in their configured order. Web hook failures throw HttpErrors (502/504) that the flow
 * delivers as errors; `response.parse` rejections and identity patches come back as a verdict.
 */
export async function runHooks(hooks: readonly HookConfig[], run: HookRun): Promise<HookVerdict> {
  let patch: WebHookIdentityPatch | undefined;
  for (const hook of hooks) {
    if (hook.hook === "revoke_active_sessions") {
      if (run.identity) await run.deps.store.revokeSessionsOfIdentity(run.identity.id, run.sessionId);
      continue;
    }
    if (hook.hook !== "web_hook") continue;
    const result = await callWebHook(
      hook.config,
      {
        flow: run.flowJson,
        ...(run.identityJson !== undefined ? { identity: run.identityJson } : {}),
        ...(run.sessionJson !== undefined ? { session: run.sessionJson } : {}),
        request: requestInfo(run.ctx),
      },
      { fetch: run.deps.fetch },
    );
    if (result.kind === "messages") return { kind: "reject", issues: result.issues };
    if (result.kind === "identity") patch = { ...patch, ...result.patch };
  }
  return patch ? { kind: "continue", patch } : { kind: "continue" };
}

/** Kratos splits a method's after-hooks: parsing web hooks run before the identity is saved. */
export function splitAfterHooks(hooks: readonly HookConfig[]) {
  return { pre: hooks.filter((h) => isPrePersist(h)), post: hooks.filter((h) => !isPrePersist(h)) };
}
