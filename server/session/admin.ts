import type { SessionJson } from "#shared/session.ts";
import type { FullIdentity, SessionRecord } from "../../db/store.ts";
import type { AppDeps } from "../deps.ts";
import { isUuid, loadIdentity, notFound, pageSizeOf } from "../identity/admin/shared.ts";
import { errors } from "../request/errors.ts";

/**
 * The admin session service (contract §16.5): what `GET/DELETE /admin/sessions…`,
 * `PATCH /admin/sessions/{id}/extend` and `GET/DELETE /admin/identities/{id}/sessions` do,
 * independent of transport. The REST routes and the admin tRPC router are thin adapters over
 * these functions, as over the admin identity service in `server/identity/admin.ts`.
 */

/** Kratos parses session ids strictly (400), unlike identity ids (an unparsable id is just not found). */
function sessionIdOrThrow(id: string): string {
  if (!isUuid(id)) throw errors.badRequest(`The session id "${id}" is not a valid UUID.`);
  return id.toLowerCase();
}

/** Session JSON whose `identity` and `devices` are only present when expanded (Kratos's admin API). */
export type AdminSessionJson = Omit<SessionJson, "identity" | "devices"> &
  Partial<Pick<SessionJson, "identity" | "devices">>;

export type SessionExpansion = "identity" | "devices";

function expansionsOf(values: readonly string[] | undefined): Set<SessionExpansion> {
  const expand = new Set<SessionExpansion>();
  for (const value of values ?? []) {
    const lower = value.toLowerCase();
    if (lower !== "identity" && lower !== "devices") {
      throw errors.badRequest(`Invalid value "${value}" for parameter expand; use identity or devices.`);
    }
    expand.add(lower);
  }
  return expand;
}

function toAdminSessionJson(
  deps: AppDeps,
  session: SessionRecord,
  identity: FullIdentity,
  expand: ReadonlySet<SessionExpansion>,
): AdminSessionJson {
  const { identity: identityJson, devices, ...rest } = deps.sessions.toJson(session, identity);
  return {
    ...rest,
    ...(expand.has("identity") ? { identity: identityJson } : {}),
    ...(expand.has("devices") ? { devices } : {}),
  };
}

/** The `active` filter's meaning: not revoked and not expired (identity state aside, as in Kratos). */
function isLive(deps: AppDeps, session: SessionRecord): boolean {
  return session.active && session.expiresAt.getTime() > deps.clock.now().getTime();
}

async function identitiesById(deps: AppDeps, ids: string[]): Promise<Map<string, FullIdentity>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const page = await deps.store.listIdentities({ pageSize: unique.length, ids: unique });
  return new Map(page.identities.map((i) => [i.id, i]));
}

export interface ListSessionsInput {
  pageSize?: number;
  pageToken?: string;
  /** true: live sessions only; false: revoked or expired only; undefined: all. */
  active?: boolean;
  expand?: readonly string[];
}

export interface SessionPage {
  sessions: AdminSessionJson[];
  nextPageToken?: string;
}

/**
 * One keyset page of sessions matching the `active` filter. Expiry is not a stored flag, so
 * store pages are filtered here and read until one match beyond the page proves a next page.
 */
async function sessionsPage(
  deps: AppDeps,
  pageSize: number,
  pageToken: string | undefined,
  active: boolean | undefined,
): Promise<{ sessions: SessionRecord[]; nextPageToken?: string }> {
  if (active === undefined) {
    return deps.store.listAllSessions({ pageSize, ...(pageToken ? { pageToken } : {}) });
  }
  const matches: SessionRecord[] = [];
  let cursor = pageToken;
  for (;;) {
    const chunk = await deps.store.listAllSessions({
      pageSize: pageSize + 1,
      ...(cursor ? { pageToken: cursor } : {}),
      // Revoked sessions are never live, so the stored flag narrows "active=true" for free.
      ...(active ? { active: true } : {}),
    });
    for (const session of chunk.sessions) {
      if (isLive(deps, session) !== active) continue;
      matches.push(session);
      if (matches.length > pageSize) {
        const page = matches.slice(0, pageSize);
        return { sessions: page, nextPageToken: page[page.length - 1]!.id };
      }
    }
    if (chunk.nextPageToken === undefined) return { sessions: matches };
    cursor = chunk.nextPageToken;
  }
}

/** `GET /admin/sessions`. */
export async function listSessions(deps: AppDeps, input: ListSessionsInput = {}): Promise<SessionPage> {
  const pageSize = pageSizeOf(input.pageSize);
  const expand = expansionsOf(input.expand);
  let pageToken: string | undefined;
  if (input.pageToken) {
    if (!isUuid(input.pageToken))
      throw errors.badRequest("The page token is invalid. Start again from the first page.");
    pageToken = input.pageToken.toLowerCase();
  }
  const page = await sessionsPage(deps, pageSize, pageToken, input.active);
  const owners = await identitiesById(
    deps,
    page.sessions.map((s) => s.identityId),
  );
  const sessions: AdminSessionJson[] = [];
  for (const session of page.sessions) {
    const owner = owners.get(session.identityId);
    // A session whose identity was deleted in between is gone too (cascade); skip it.
    if (owner) sessions.push(toAdminSessionJson(deps, session, owner, expand));
  }
  return { sessions, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
}

async function loadSession(
  deps: AppDeps,
  id: string,
): Promise<{ session: SessionRecord; identity: FullIdentity }> {
  const session = await deps.store.getSession(sessionIdOrThrow(id));
  const identity = session && (await deps.store.getIdentity(session.identityId));
  if (!session || !identity) throw notFound();
  return { session, identity };
}

/** `GET /admin/sessions/{id}`: revoked and expired sessions are returned too (`active: false`). */
export async function getSession(
  deps: AppDeps,
  id: string,
  options: { expand?: readonly string[] } = {},
): Promise<AdminSessionJson> {
  const expand = expansionsOf(options.expand);
  const { session, identity } = await loadSession(deps, id);
  return toAdminSessionJson(deps, session, identity, expand);
}

/** `DELETE /admin/sessions/{id}`: revokes (deactivates) the session. */
export async function disableSession(deps: AppDeps, id: string): Promise<void> {
  const sessionId = sessionIdOrThrow(id);
  if (!(await deps.store.revokeSession(sessionId))) throw notFound();
  deps.audit("session.revoked", { by: "admin", session_id: sessionId });
}

/**
 * `PATCH /admin/sessions/{id}/extend`: expires_at = now + session.lifespan. Revoked or expired
 * sessions are not revived (404): extending is for sessions still in use.
 */
export async function extendSession(deps: AppDeps, id: string): Promise<SessionJson> {
  const { session, identity } = await loadSession(deps, id);
  if (!isLive(deps, session)) throw notFound();
  const now = deps.clock.now();
  const extended: SessionRecord = {
    ...session,
    expiresAt: new Date(now.getTime() + deps.config.ms.sessionLifespan),
    updatedAt: now,
  };
  await deps.store.updateSession(extended);
  return deps.sessions.toJson(extended, identity);
}

export interface IdentitySessionsInput {
  active?: boolean;
  pageSize?: number;
  pageToken?: string;
}

/**
 * `GET /admin/identities/{id}/sessions`: newest first, with identity and devices (Kratos expands
 * everything here). Paged in memory: one identity has few sessions.
 */
export async function listIdentitySessions(
  deps: AppDeps,
  id: string,
  input: IdentitySessionsInput = {},
): Promise<{ sessions: SessionJson[]; nextPageToken?: string }> {
  const identity = await loadIdentity(deps, id);
  const pageSize = pageSizeOf(input.pageSize);
  const all = (await deps.store.listSessions(identity.id)).filter(
    (s) => input.active === undefined || isLive(deps, s) === input.active,
  );
  const start = input.pageToken ? all.findIndex((s) => s.id === input.pageToken) + 1 : 0;
  if (input.pageToken && start === 0)
    throw errors.badRequest("The page token is invalid. Start again from the first page.");
  const page = all.slice(start, start + pageSize);
  const more = start + pageSize < all.length;
  return {
    sessions: page.map((s) => deps.sessions.toJson(s, identity)),
    ...(more ? { nextPageToken: page[page.length - 1]!.id } : {}),
  };
}

/** `DELETE /admin/identities/{id}/sessions`: deletes every session of the identity, as Kratos does. */
export async function deleteIdentitySessions(deps: AppDeps, id: string): Promise<void> {
  const identity = await loadIdentity(deps, id);
  const count = await deps.store.deleteSessionsOfIdentity(identity.id);
  deps.audit("sessions.deleted", { by: "admin", identity_id: identity.id, count });
}
