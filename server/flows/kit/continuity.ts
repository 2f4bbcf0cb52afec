import type { ContinuityRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { RequestContext } from "../../request/context.ts";

/**
 * A paused settings submission waiting for a refresh login (contract §10.3). The container lives in
 * the store, bound to the identity; the browser holds only its id in the continuity cookie.
 */
export const CONTINUITY_COOKIE = "ory_kratos_continuity";
const LIFESPAN_MS = 15 * 60_000;
export const SETTINGS_METHODS = ["profile", "password", "oidc"] as const;
export type SettingsMethod = (typeof SETTINGS_METHODS)[number];

export const containerName = (method: SettingsMethod) => `ory_kratos_settings_${method}`;

export interface PausedSubmission {
  flowId: string;
  method: SettingsMethod;
  /** The submitted form values, replayed through the normal checks on resume. */
  values: Record<string, string[]>;
}

function cookieOptions(deps: AppDeps, maxAge: number) {
  const { config } = deps;
  return {
    path: config.raw.cookies.path,
    domain: config.raw.cookies.domain,
    maxAge,
    httpOnly: true,
    secure: config.secureCookies,
    sameSite: config.secureCookies ? config.raw.cookies.same_site : ("Lax" as const),
  };
}

export async function pauseSubmission(
  deps: AppDeps,
  ctx: RequestContext,
  identityId: string,
  paused: PausedSubmission,
): Promise<void> {
  const now = deps.clock.now();
  const record: ContinuityRecord = {
    id: crypto.randomUUID(),
    name: containerName(paused.method),
    identityId,
    payload: { flow_id: paused.flowId, method: paused.method, values: paused.values },
    expiresAt: new Date(now.getTime() + LIFESPAN_MS),
    createdAt: now,
  };
  // Only the most recent paused payload counts (contract §10.3 guarantees).
  await deps.store.deleteContinuityByNames(identityId, SETTINGS_METHODS.map(containerName));
  await deps.store.saveContinuity(record);
  ctx.setCookie(CONTINUITY_COOKIE, record.id, cookieOptions(deps, LIFESPAN_MS / 1000));
}

/**
 * Takes (and consumes) the paused submission named by the continuity cookie, if it belongs to this
 * identity and flow and has not expired. A container for another flow is discarded.
 */
export async function resumeSubmission(
  deps: AppDeps,
  ctx: RequestContext,
  identityId: string,
  flowId: string,
): Promise<PausedSubmission | undefined> {
  const id = ctx.cookies.get(CONTINUITY_COOKIE);
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const record = await deps.store.getContinuity(id);
  if (!record) return undefined;
  await deps.store.deleteContinuity(record.id);
  ctx.setCookie(CONTINUITY_COOKIE, "", cookieOptions(deps, -1));
  const payload = record.payload as {
    flow_id?: string;
    method?: SettingsMethod;
    values?: Record<string, string[]>;
  };
  const valid =
    record.identityId === identityId &&
    record.expiresAt.getTime() > deps.clock.now().getTime() &&
    payload.flow_id === flowId &&
    payload.method !== undefined &&
    payload.values !== undefined;
  return valid ? { flowId, method: payload.method!, values: payload.values! } : undefined;
}

/** A new settings flow aborts every pending change of the identity. */
export async function abortPausedSubmissions(deps: AppDeps, identityId: string): Promise<void> {
  await deps.store.deleteContinuityByNames(identityId, SETTINGS_METHODS.map(containerName));
}
