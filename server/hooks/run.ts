import type { ContinueWith } from "#shared/flows.ts";
import type { FullIdentity, SessionRecord } from "../../db/store.ts";
import type { HookConfig } from "../config/schema.ts";
import type { AppDeps } from "../deps.ts";
import { identityToJson } from "../identity/serialize.ts";
import type { RequestContext } from "../request/context.ts";
import { errors } from "../request/errors.ts";
import {
  callWebHook,
  isPrePersist,
  WEBHOOK_MAX_RETRIES,
  type WebHookIdentityPatch,
  type WebHookIssue,
} from "./web-hook.ts";

/**
 * The one hook executor of every flow (contract §11.5–§11.6). A flow runs its configured hooks in
 * three phases: `before` when a flow is created, `pre` after a submission is decided but before it
 * is persisted (only hooks that may interrupt: web hooks with `response.parse`/`can_interrupt`), and
 * `post` after it is persisted (everything else). Each hook runs in exactly one phase.
 */

/** Who the hooks run for: the request, the flow as JSON and, after a decision, the identity. */
export interface HookRun {
  deps: AppDeps;
  ctx: RequestContext;
  flowJson: unknown;
  /** The proposed identity (`pre`) or the saved one (`post`). */
  identity?: FullIdentity;
  /** The session the request came with (settings) or the one just issued (login). */
  session?: SessionRecord;
  /** The verification flow the verifier started for this submission, if any (contract §11.5). */
  verification?: Extract<ContinueWith, { action: "show_verification_ui" }>;
}

/** What `pre` hooks ask the flow to do. */
export type PreVerdict =
  | { kind: "continue"; patch?: WebHookIdentityPatch }
  /** A hook rejected the submission with messages; render them like validation errors. */
  | { kind: "reject"; issues: WebHookIssue[] };

/** What `post` hooks add to the flow's answer. */
export interface PostEffects {
  continueWith: ContinueWith[];
  /** Issued by the `session` hook (registration). */
  session?: SessionRecord;
  /** Where `show_verification_ui` sends a browser instead of the return URL (registration). */
  verificationUrl?: string;
}

function requestInfo(ctx: RequestContext) {
  return {
    headers: ctx.req.headers,
    method: ctx.req.method,
    url: ctx.requestUrl,
    cookies: Object.fromEntries(ctx.cookies),
  };
}

async function webHook(
  hook: HookConfig & { hook: "web_hook" },
  run: HookRun,
  options: { retry?: boolean } = {},
) {
  const { deps, identity, session } = run;
  return callWebHook(
    hook.config,
    {
      flow: run.flowJson,
      ...(identity ? { identity: identityToJson(identity, { publicBaseUrl: deps.config.publicBase }) } : {}),
      ...(session && identity ? { session: deps.sessions.toJson(session, identity) } : {}),
      request: requestInfo(run.ctx),
    },
    {
      fetch: deps.fetch,
      addressPolicy: {
        disallowPrivate: deps.config.raw.clients.http.disallow_private_ip_ranges,
        exceptionUrls: deps.config.raw.clients.http.private_ip_exception_urls,
      },
      ...(options.retry ? { maxRetries: WEBHOOK_MAX_RETRIES } : {}),
      ...(deps.clock.sleep ? { sleep: (ms: number) => deps.clock.sleep!(ms) } : {}),
    },
  );
}

/** `before` hooks: web hooks, called with the flow being created (a failure refuses the flow). */
export async function runBeforeHooks(hooks: readonly HookConfig[], run: HookRun): Promise<void> {
  for (const hook of hooks) if (hook.hook === "web_hook") await webHook(hook, run);
}

/** `pre` hooks: the interrupting web hooks, which may reject the submission or patch the identity. */
export async function runPreHooks(hooks: readonly HookConfig[], run: HookRun): Promise<PreVerdict> {
  let patch: WebHookIdentityPatch | undefined;
  for (const hook of hooks) {
    if (hook.hook !== "web_hook" || !isPrePersist(hook)) continue;
    const result = await webHook(hook, run);
    if (result.kind === "messages") return { kind: "reject", issues: result.issues };
    if (result.kind === "identity") patch = { ...patch, ...result.patch };
  }
  return patch ? { kind: "continue", patch } : { kind: "continue" };
}

/**
 * `post` hooks, in their configured order. `session` issues a session for the identity (it is
 * implied by login, where it does nothing); `revoke_active_sessions` ends every other session of the
 * identity; `show_verification_ui` adds the verification flow the verifier started (`run.verification`),
 * and so adds nothing while verification is off; `require_verified_address` is checked by login before it
 * issues a session (see `unverifiedLogin`).
 */
export async function runPostHooks(
  hooks: readonly HookConfig[],
  run: HookRun & { identity: FullIdentity; method: string; provider?: string; issuesSession: boolean },
): Promise<PostEffects> {
  const effects: PostEffects = { continueWith: [] };
  for (const hook of hooks) {
    switch (hook.hook) {
      case "web_hook":
        if (!isPrePersist(hook))
          // After persisting, nothing waits on the answer but the request: retried like Kratos does.
          await webHook(
            hook,
            { ...run, ...(effects.session ? { session: effects.session } : {}) },
            { retry: true },
          );
        break;
      case "session":
        if (run.issuesSession && !effects.session) {
          effects.session = await run.deps.sessions.create(run.identity, run.method, run.ctx, run.provider);
        }
        break;
      case "revoke_active_sessions":
        await run.deps.store.revokeSessionsOfIdentity(run.identity.id, (effects.session ?? run.session)?.id);
        break;
      case "show_verification_ui":
        // Points at the flow the verifier started; nothing to show while verification is off.
        if (run.verification) {
          effects.continueWith.push(run.verification);
          if (run.verification.flow.url) effects.verificationUrl = run.verification.flow.url;
        }
        break;
      case "require_verified_address":
        break;
    }
  }
  return effects;
}

/**
 * `require_verified_address` (login, contract §11.5): a sign-in needs a verified address. An identity
 * that has no address to verify can never pass, which Kratos treats as a misconfiguration (500)
 * rather than asking the person to verify (hook/require_verified_address.go).
 */
export function unverifiedLogin(hooks: readonly HookConfig[], identity: FullIdentity): boolean {
  if (!hooks.some((h) => h.hook === "require_verified_address")) return false;
  if (identity.verifiableAddresses.length === 0) {
    throw errors.internal(
      "A misconfiguration prevents login. Expected to find a verification address but this identity does not have one assigned.",
    );
  }
  return !identity.verifiableAddresses.some((a) => a.verified);
}
