import type { FullIdentity } from "../../db/store.ts";
import type { AppDeps } from "../deps.ts";
import { formsOf } from "../identity/forms.ts";
import { identityToJson } from "../identity/serialize.ts";
import type { RequestContext } from "../request/context.ts";
import { errors } from "../request/errors.ts";
import type { ActiveSession } from "../session/service.ts";
import { toRfc3339 } from "../time.ts";
import { eventsFor, historyPage, type SecurityEventJson } from "./history.ts";

/**
 * The signed-in person's account operations beyond the flows (docs/account-features.md): their
 * security history, an export of their data, and deleting their account after a grace period.
 * The REST routes (server/http/routes/account.ts) and tRPC (`account.*`) call these.
 */

const NO_SESSION = "No valid session credentials found in the request.";
const MAX_PAGE = 250;

async function signedIn(deps: AppDeps, ctx: RequestContext): Promise<ActiveSession> {
  const active = await deps.sessions.fromRequest(ctx);
  if (!active) throw errors.sessionInactive(NO_SESSION);
  return active;
}

function pageSize(raw: string | number | null | undefined): number {
  const n = typeof raw === "number" ? raw : raw ? Number.parseInt(raw, 10) : 50;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw errors.badRequest(`page_size must be an integer between 1 and ${MAX_PAGE}.`);
  return n;
}

function beforeOf(raw: string | null | undefined): Date | undefined {
  if (!raw) return undefined;
  const at = new Date(raw);
  if (Number.isNaN(at.getTime())) throw errors.badRequest("before must be an RFC 3339 timestamp.");
  return at;
}

export interface HistoryQuery {
  pageSize?: string | number | null;
  before?: string | null;
}

/** `GET /self-service/account/history`: the caller's own history, newest first. */
export async function ownHistory(
  deps: AppDeps,
  ctx: RequestContext,
  query: HistoryQuery,
): Promise<SecurityEventJson[]> {
  const { identity } = await signedIn(deps, ctx);
  const before = beforeOf(query.before);
  return historyPage(deps, identity.id, { limit: pageSize(query.pageSize), ...(before ? { before } : {}) });
}

/** `GET /admin/identities/{id}/history`. */
export async function identityHistory(deps: AppDeps, identityId: string, query: HistoryQuery) {
  if (!(await deps.store.getIdentity(identityId))) throw errors.notFound();
  const before = beforeOf(query.before);
  return historyPage(deps, identityId, { limit: pageSize(query.pageSize), ...(before ? { before } : {}) });
}

/** Credentials as the person may see them: type, identifiers and dates, never a secret. */
function credentialsSummary(identity: FullIdentity) {
  return identity.credentials.map((c) => ({
    type: c.type,
    identifiers: [...c.identifiers],
    created_at: toRfc3339(c.createdAt),
    updated_at: toRfc3339(c.updatedAt),
  }));
}

/** `GET /self-service/account/export` (off unless `account.export.enabled`). */
export async function exportOwnData(deps: AppDeps, ctx: RequestContext) {
  if (!deps.config.raw.account.export.enabled) throw errors.notFound();
  const { identity } = await signedIn(deps, ctx);
  const sessions = await deps.store.listSessions(identity.id);
  const history: SecurityEventJson[] = [];
  for (let before: Date | undefined; ; ) {
    const page = await historyPage(deps, identity.id, { limit: MAX_PAGE, ...(before ? { before } : {}) });
    history.push(...page);
    if (page.length < MAX_PAGE) break;
    before = new Date(page.at(-1)!.created_at);
  }
  const deletion = await deps.store.getDeletion(identity.id);
  return {
    exported_at: toRfc3339(deps.clock.now()),
    identity: identityToJson(identity, {
      publicBaseUrl: deps.config.publicBase,
      traitPolicy: formsOf(deps, identity.schemaId).traitPolicy,
    }),
    credentials: credentialsSummary(identity),
    sessions: sessions.map((s) => deps.sessions.toJson(s, identity)),
    history,
    deletion: deletion
      ? { requested_at: toRfc3339(deletion.requestedAt), due_at: toRfc3339(deletion.dueAt) }
      : null,
  };
}

function deletionJson(d: { requestedAt: Date; dueAt: Date } | undefined) {
  return {
    scheduled: d !== undefined,
    ...(d ? { requested_at: toRfc3339(d.requestedAt), due_at: toRfc3339(d.dueAt) } : {}),
  };
}

function requireDeletionEnabled(deps: AppDeps): void {
  if (!deps.config.raw.account.deletion.enabled) throw errors.notFound();
}

/** `GET /self-service/account/deletion`: whether a deletion is scheduled and when. */
export async function deletionStatus(deps: AppDeps, ctx: RequestContext) {
  requireDeletionEnabled(deps);
  const { identity } = await signedIn(deps, ctx);
  return deletionJson(await deps.store.getDeletion(identity.id));
}

/**
 * `POST /self-service/account/deletion` with `{"confirm": "delete my account"}`: needs a
 * privileged session (403 `session_refresh_required` otherwise, as settings does). Every session
 * ends; signing in again before `due_at` cancels. JSON only, so a cross-site form cannot send it.
 */
export const DELETION_CONFIRMATION = "delete my account";

export async function requestDeletion(deps: AppDeps, ctx: RequestContext, body: unknown) {
  requireDeletionEnabled(deps);
  const active = await signedIn(deps, ctx);
  const confirm = (body as { confirm?: unknown } | null)?.confirm;
  if (confirm !== DELETION_CONFIRMATION)
    throw errors.badRequest(`To delete the account, send {"confirm": "${DELETION_CONFIRMATION}"}.`);
  if (!deps.sessions.isPrivileged(active.session)) {
    const login = new URL("self-service/login/browser", deps.config.publicBase);
    login.searchParams.set("refresh", "true");
    throw errors.sessionRefreshRequired(login.toString());
  }
  const now = deps.clock.now();
  const deletion = {
    identityId: active.identity.id,
    requestedAt: now,
    dueAt: new Date(now.getTime() + deps.config.ms.deletionGracePeriod),
  };
  await deps.store.scheduleDeletion(deletion, eventsFor(deps, ctx, active.identity.id, "deletion_requested"));
  await deps.store.revokeSessionsOfIdentity(active.identity.id);
  deps.sessions.clearCookie(ctx);
  return deletionJson(deletion);
}

/** Signing in during the grace period cancels the deletion (login calls this). */
export async function cancelDeletionOnSignIn(deps: AppDeps, ctx: RequestContext, identityId: string) {
  if (!deps.config.raw.account.deletion.enabled) return;
  await deps.store.cancelDeletion(identityId, eventsFor(deps, ctx, identityId, "deletion_cancelled"));
}

/** Deletes the identities whose grace period is over; `serve` runs it periodically. Returns how many. */
export async function purgeDueDeletions(deps: AppDeps, batch = 100): Promise<number> {
  let deleted = 0;
  for (;;) {
    const due = await deps.store.dueDeletions(deps.clock.now(), batch);
    for (const id of due) if (await deps.store.deleteIdentity(id)) deleted++;
    if (due.length < batch) return deleted;
  }
}
