import type { ContinuityRecord, FlowKind, FlowRecord } from "../../../db/store.ts";
import { cookieSealer } from "../../crypto/cookie-seal.ts";
import type { AppDeps } from "../../deps.ts";
import type { RequestContext } from "../../request/context.ts";

/**
 * A browser submission paused until something happens elsewhere: today a refresh login before a
 * protected settings change (contract §10.3); later an OIDC round trip or an MFA step-up. The
 * container lives in the store, keyed by flow kind and method and bound to the identity; the
 * browser holds only its id in the continuity cookie, sealed with `secrets.cookie`.
 */
export const CONTINUITY_COOKIE = "ory_kratos_continuity";
const LIFESPAN_MS = 15 * 60_000;

/** Kratos's container names: `ory_kratos_<flow>_<method>`, e.g. `ory_kratos_settings_profile`. */
export const containerName = (kind: FlowKind, method: string) => `ory_kratos_${kind}_${method}`;

export interface PausedSubmission {
  method: string;
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

/** Every container name a flow kind can hold, one per registered method. */
function namesOf(deps: AppDeps, kind: FlowKind): string[] {
  return deps.methods.map((m) => containerName(kind, m.id));
}

export async function pauseSubmission(
  deps: AppDeps,
  ctx: RequestContext,
  identityId: string,
  flow: FlowRecord,
  paused: PausedSubmission,
): Promise<void> {
  const now = deps.clock.now();
  const record: ContinuityRecord = {
    id: crypto.randomUUID(),
    name: containerName(flow.kind, paused.method),
    identityId,
    payload: { flow_id: flow.id, method: paused.method, values: paused.values },
    expiresAt: new Date(now.getTime() + LIFESPAN_MS),
    createdAt: now,
  };
  // Only the most recent paused payload counts (contract §10.3 guarantees).
  await deps.store.deleteContinuityByNames(identityId, namesOf(deps, flow.kind));
  await deps.store.saveContinuity(record);
  const sealed = cookieSealer(deps.config).seal("kratos/continuity", CONTINUITY_COOKIE, record.id, now);
  ctx.setCookie(CONTINUITY_COOKIE, sealed, cookieOptions(deps, LIFESPAN_MS / 1000));
}

/**
 * Takes (and consumes) the paused submission named by the continuity cookie, if it belongs to this
 * identity and flow and has not expired. A container for another flow is discarded.
 */
export async function resumeSubmission(
  deps: AppDeps,
  ctx: RequestContext,
  identityId: string,
  flow: FlowRecord,
): Promise<PausedSubmission | undefined> {
  const cookie = ctx.cookies.get(CONTINUITY_COOKIE);
  // Sealed with secrets.cookie: a cookie that does not open (tampered, old secret) counts as absent.
  const id = cookie
    ? cookieSealer(deps.config).open(
        "kratos/continuity",
        CONTINUITY_COOKIE,
        cookie,
        deps.clock.now(),
        LIFESPAN_MS,
      )
    : undefined;
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const record = await deps.store.getContinuity(id);
  if (!record) return undefined;
  await deps.store.deleteContinuity(record.id);
  ctx.setCookie(CONTINUITY_COOKIE, "", cookieOptions(deps, -1));
  const payload = record.payload as { flow_id?: string; method?: string; values?: Record<string, string[]> };
  const valid =
    record.identityId === identityId &&
    record.name === containerName(flow.kind, payload.method ?? "") &&
    record.expiresAt.getTime() > deps.clock.now().getTime() &&
    payload.flow_id === flow.id &&
    payload.values !== undefined;
  return valid ? { method: payload.method!, values: payload.values! } : undefined;
}

/** A new flow aborts every pending change of the identity in flows of its kind. */
export async function abortPausedSubmissions(
  deps: AppDeps,
  kind: FlowKind,
  identityId: string,
): Promise<void> {
  await deps.store.deleteContinuityByNames(identityId, namesOf(deps, kind));
}
