import type { FlowRecord, SessionRecord } from "../../../db/store.ts";
import { HttpError } from "../../request/errors.ts";

/**
 * What a flow step ends in (DESIGN "One outcome type"). Services return these; each adapter maps
 * them to its transport in one place (REST: server/http/outcome.ts, tRPC: server/trpc/outcome.ts).
 */
export type FlowOutcome =
  /** Show the flow (e.g. with validation messages). `status` is the JSON status (200 or 400). */
  | { kind: "form"; flow: FlowRecord; body: unknown; status: 200 | 400 }
  /** Done. Browsers go to `redirectTo`; JSON callers get `body`. */
  | {
      kind: "success";
      body: unknown;
      redirectTo: string;
      session?: SessionRecord;
      setSessionCookie?: boolean;
    }
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

export function wantsJson(caller: Caller): boolean {
  return caller.flowType === "api" || caller.json;
}

/** The 403 for a session too old for a privileged change (contract §10.3). */
export function refreshRequiredError(redirectTo: string): HttpError {
  return new HttpError(403, {
    id: "session_refresh_required",
    reason:
      "The login session is too old and thus not allowed to update these fields. Please re-authenticate.",
    extra: { redirect_browser_to: redirectTo },
  });
}

/** The 422 for a flow that continues with a browser navigation (OIDC). */
export function browserLocationChangeError(redirectTo: string): HttpError {
  return new HttpError(422, {
    id: "browser_location_change_required",
    reason: `In order to complete this flow please redirect the browser to: ${redirectTo}`,
    message: "browser location change required",
    extra: { redirect_browser_to: redirectTo },
  });
}
