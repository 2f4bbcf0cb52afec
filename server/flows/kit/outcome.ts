import type { FlowRecord } from "../../../db/store.ts";
import type { Logger } from "../../logger.ts";
import type { Metrics } from "../../observe/metrics.ts";
import type { ParsedBody } from "../../request/body.ts";
import { errors, HttpError } from "../../request/errors.ts";

/**
 * What a flow step ends in (DESIGN "One outcome type"). Services throw before a flow is loaded and
 * return one of these after; each adapter maps them to its transport in one place (REST:
 * server/http/outcome.ts, tRPC: server/trpc/outcome.ts, pages: server/pages/).
 * Cookies a step sets (session, CSRF, continuity) are already on the request context.
 */
export type FlowOutcome =
  /** Show the flow (e.g. with validation messages). `status` is the JSON status (200 or 400). */
  | { kind: "form"; flow: FlowRecord; body: unknown; status: 200 | 400 }
  /** Done. Browsers go to `redirectTo`; JSON callers get `body`. */
  | { kind: "success"; body: unknown; redirectTo: string }
  /** A browser that must go elsewhere first (sign in, already signed in). JSON callers never get one. */
  | { kind: "redirect"; to: string; status?: 302 | 303 }
  /** The session is too old: browsers re-authenticate at `redirectTo`, others get 403 (contract §10.3). */
  | { kind: "refresh_required"; redirectTo: string }
  /** A browser must navigate elsewhere (OIDC provider); JSON callers get 422. */
  | { kind: "browser_location_change"; redirectTo: string }
  /** An error not rendered into a flow: JSON error or the error container. */
  | { kind: "error"; error: HttpError };

/** Who is calling: decides redirects vs JSON. */
export interface Caller {
  /** The flow's type (fixed at creation). */
  flowType: "browser" | "api";
  /** Whether this particular request wants JSON (SPA); api flows are always JSON. */
  json: boolean;
}

/** A submission's outcome with the caller it is for (known once the flow is loaded). */
export interface Submitted {
  outcome: FlowOutcome;
  caller: Caller;
}

/** A submission as every adapter hands it to a flow service. */
export interface SubmitInput {
  flowId: string | null;
  /** Reads the body; a settings resumption after re-authentication (GET) has none. */
  readPayload: (() => Promise<ParsedBody>) | undefined;
  /** Whether this request wants JSON (an SPA or tRPC); api flows always get JSON. */
  json: boolean;
}

/**
 * Runs the part of a submission that comes after its flow was loaded. From there on the flow's type
 * decides how errors are delivered (api flows: always JSON), so a failure (a hook's 502, the breach
 * API's 502, …) becomes an error outcome for that caller; anything unexpected is logged and is a 500.
 */
export async function submitToFlow(
  deps: { logger: Logger; metrics?: Metrics },
  flow: FlowRecord,
  caller: Caller,
  run: () => Promise<FlowOutcome>,
  /** The submission, read after it ran for the method it picked (metrics). */
  submission?: { readonly method: string | undefined },
): Promise<Submitted> {
  let outcome: FlowOutcome;
  try {
    outcome = await run();
  } catch (err) {
    if (err instanceof HttpError) outcome = { kind: "error", error: err };
    else {
      deps.logger.error(`${flow.kind} submission failed`, {
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        flow: flow.id,
      });
      outcome = { kind: "error", error: errors.internal() };
    }
  }
  deps.metrics?.flowOutcome(flow.kind, submission?.method ?? "none", resultLabel(outcome));
  return { outcome, caller };
}

/** `form` is the flow shown again with messages: the submission was refused. */
function resultLabel(outcome: FlowOutcome): string {
  return outcome.kind === "form" ? "invalid" : outcome.kind;
}
