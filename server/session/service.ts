import { generateId, type Lucia } from "lucia";
import type { SessionJson } from "#shared/session.ts";
import { StampedValues } from "../../db/stamped-values.ts";
import type {
  AuthenticationMethodRecord,
  FullIdentity,
  SecurityEventRecord,
  SessionRecord,
} from "../../db/store.ts";
import { identityStamp } from "../../db/whoami.ts";
import { cookieSealer } from "../crypto/cookie-seal.ts";
import type { AppDeps } from "../deps.ts";
import { formsOf } from "../identity/forms.ts";
import { identityToJson } from "../identity/serialize.ts";
import { clientAddress } from "../request/client.ts";
import type { RequestContext } from "../request/context.ts";
import { toRfc3339 } from "../time.ts";

export interface ActiveSession {
  session: SessionRecord;
  identity: FullIdentity;
}

/** Where a request's session token came from; api flows must not be driven by a cookie. */
export type TokenSource = "header" | "cookie" | "bearer";

/**
 * Finds the session token of a request in Kratos's order (contract §4): `X-Session-Token`, then the
 * session cookie, then `Authorization: Bearer` (scheme case-insensitive, exactly two parts).
 */
export function sessionTokenOf(
  ctx: RequestContext,
  lucia: Lucia,
): { token: string; source: TokenSource } | undefined {
  const header = ctx.req.headers.get("x-session-token");
  if (header) return { token: header, source: "header" };
  // The request's own (lenient) cookie parse: lucia's throws on a malformed %-escape, which any
  // client can send, and whoami would answer 500 instead of 401.
  const cookie = ctx.cookies.get(lucia.sessionCookieName);
  // A cookie that does not open under secrets.cookie (tampered, old secret) counts as absent.
  const token = cookie
    ? cookieSealer(ctx.deps.config).open(
        "kratos/session",
        lucia.sessionCookieName,
        cookie,
        ctx.deps.clock.now(),
        0,
      )
    : undefined;
  if (token) return { token, source: "cookie" };
  const auth = ctx.req.headers.get("authorization");
  if (auth) {
    const parts = auth.split(" ");
    if (parts.length === 2 && parts[0]!.toLowerCase() === "bearer" && parts[1]) {
      return { token: parts[1], source: "bearer" };
    }
  }
  return undefined;
}

/** The assurance level a method proves (Kratos: first factors are aal1, second factors aal2). */
const SECOND_FACTORS = new Set(["totp", "webauthn", "lookup_secret"]);
export function aalOfMethod(method: string): "aal1" | "aal2" {
  return SECOND_FACTORS.has(method) ? "aal2" : "aal1";
}

/** A session's level: aal2 once a first and a second factor were completed, aal1 after a first. */
export function aalOfMethods(methods: readonly AuthenticationMethodRecord[]): SessionRecord["aal"] {
  if (methods.length === 0) return "aal0";
  const first = methods.some((m) => m.aal === "aal1");
  const second = methods.some((m) => m.aal === "aal2");
  return first && second ? "aal2" : "aal1";
}

/** How many identities' and sessions' whoami JSON is kept (under 1 KiB each), oldest first out. */
const WHOAMI_KEPT = 2048;

export class SessionService {
  /** Each identity's JSON as whoami last wrote it, under the stamp it was written at. */
  readonly #whoamiIdentities = new StampedValues<string>(WHOAMI_KEPT);
  /** Each session's JSON before and after the identity, likewise. */
  readonly #whoamiSessions = new StampedValues<[string, string]>(WHOAMI_KEPT);

  constructor(
    private readonly deps: Pick<AppDeps, "store" | "clock" | "config" | "forms">,
    readonly lucia: Lucia,
  ) {}

  /** The request's session if it exists, is active, unexpired and its identity is active. */
  async fromRequest(ctx: RequestContext): Promise<ActiveSession | undefined> {
    const found = sessionTokenOf(ctx, this.lucia);
    if (!found) return undefined;
    return this.fromToken(found.token);
  }

  /**
   * whoami's form of `fromRequest`: one statement, and the identity without what whoami never
   * shows (credentials are left empty, metadata_admin null), so it is only for serialising.
   */
  async forWhoami(ctx: RequestContext): Promise<ActiveSession | undefined> {
    const found = sessionTokenOf(ctx, this.lucia);
    if (!found) return undefined;
    const hit = await this.deps.store.getSessionForWhoami(found.token);
    if (!hit) return undefined;
    return this.isActive(hit.session, hit.identity) ? hit : undefined;
  }

  /**
   * whoami's answer as JSON text. The identity's part is kept per identity and the session's per
   * session, each under its stamp, so a repeated whoami reads one narrow row (no address
   * aggregates) and serialises nothing; a changed identity or session is read and serialised anew.
   */
  async whoamiText(ctx: RequestContext): Promise<{ text: string; identityId: string } | undefined> {
    const found = sessionTokenOf(ctx, this.lucia);
    if (!found) return undefined;
    const head = await this.deps.store.getWhoamiHead(found.token);
    if (!head || !this.#isLiveAt(head.active, head.expiresAt, head.identityState)) return undefined;
    const { identityId } = head;
    const identityText = this.#whoamiIdentities.get(identityId, head.identityStamp);
    if (identityText === undefined) {
      const full = await this.deps.store.getSessionForWhoami(found.token);
      if (!full || !this.isActive(full.session, full.identity)) return undefined;
      const { identity } = full;
      const text = JSON.stringify(this.#identityJson(identity));
      const stamp = identityStamp(identity.version ?? 0, identity.createdAt, identity.updatedAt);
      this.#whoamiIdentities.set(identityId, stamp, text);
      const [before, after] = this.#whoamiSessionParts(full.session);
      return { text: `${before}${text}${after}`, identityId };
    }
    let parts = this.#whoamiSessions.get(head.sessionId, head.sessionStamp);
    if (!parts) {
      parts = this.#whoamiSessionParts(head.session());
      this.#whoamiSessions.set(head.sessionId, head.sessionStamp, parts);
    }
    return { text: `${parts[0]}${identityText}${parts[1]}`, identityId };
  }

  /**
   * `toJson`'s output as text before and after the identity (same keys, same order). `active` is
   * true: whoami answers only for a live session.
   */
  #whoamiSessionParts(session: SessionRecord): [string, string] {
    const head = JSON.stringify(this.#sessionFields(session, "active"));
    return [`${head.slice(0, -1)},"identity":`, `,"devices":${JSON.stringify(devicesJson(session))}}`];
  }

  async fromToken(token: string): Promise<ActiveSession | undefined> {
    const hit = await this.deps.store.getSessionWithIdentityByToken(token);
    if (!hit) return undefined;
    return this.isActive(hit.session, hit.identity) ? hit : undefined;
  }

  isActive(session: SessionRecord, identity: FullIdentity): boolean {
    return this.#isLive(session, identity.state);
  }

  #isLive(session: SessionRecord, identityState: FullIdentity["state"]): boolean {
    return this.#isLiveAt(session.active, session.expiresAt, identityState);
  }

  #isLiveAt(active: boolean, expiresAt: Date, identityState: FullIdentity["state"]): boolean {
    return active && expiresAt.getTime() > this.deps.clock.now().getTime() && identityState === "active";
  }

  /** Whether the session may change protected fields (contract §10.1; `<= 0` means always). */
  isPrivileged(session: SessionRecord): boolean {
    const maxAge = this.deps.config.ms.privilegedSessionMaxAge;
    if (maxAge <= 0) return true;
    return session.authenticatedAt.getTime() + maxAge > this.deps.clock.now().getTime();
  }

  /** A brand-new session for an identity that just authenticated with `method`. */
  async create(
    identity: FullIdentity,
    method: string,
    ctx: RequestContext,
    provider?: string,
    events: readonly SecurityEventRecord[] = [],
  ): Promise<SessionRecord> {
    const now = this.deps.clock.now();
    const methods: AuthenticationMethodRecord[] = [
      { method, aal: aalOfMethod(method), completedAt: now, ...(provider ? { provider } : {}) },
    ];
    const session: SessionRecord = {
      id: crypto.randomUUID(),
      token: `ory_st_${generateId(32)}`,
      logoutToken: `ory_lo_${generateId(32)}`,
      identityId: identity.id,
      active: true,
      aal: aalOfMethods(methods),
      issuedAt: now,
      authenticatedAt: now,
      expiresAt: new Date(now.getTime() + this.deps.config.ms.sessionLifespan),
      authenticationMethods: methods,
      devices: [deviceOf(ctx)],
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.store.createSession(session, events);
    return session;
  }

  /** Re-authentication of the same identity: same session, new authenticated_at (contract §16.1). */
  async refresh(
    session: SessionRecord,
    method: AuthenticationMethodRecord["method"],
    provider?: string,
  ): Promise<SessionRecord> {
    const now = this.deps.clock.now();
    const methods = [
      ...session.authenticationMethods,
      { method, aal: aalOfMethod(method), completedAt: now, ...(provider ? { provider } : {}) },
    ];
    const updated: SessionRecord = {
      ...session,
      aal: aalOfMethods(methods),
      issuedAt: now,
      authenticatedAt: now,
      expiresAt: new Date(now.getTime() + this.deps.config.ms.sessionLifespan),
      authenticationMethods: methods,
      updatedAt: now,
    };
    await this.deps.store.updateSession(updated);
    return updated;
  }

  setCookie(ctx: RequestContext, session: SessionRecord): void {
    // The cookie carries the token sealed with secrets.cookie (server/crypto/cookie-seal.ts).
    const name = this.lucia.sessionCookieName;
    const sealed = cookieSealer(this.deps.config).seal(
      "kratos/session",
      name,
      session.token,
      this.deps.clock.now(),
    );
    ctx.setCookies.push(this.lucia.createSessionCookie(sealed).serialize());
  }

  clearCookie(ctx: RequestContext): void {
    const blank = this.lucia.createBlankSessionCookie();
    ctx.setCookies.push(blank.serialize().replace("Max-Age=0", "Max-Age=-1"));
  }

  toJson(session: SessionRecord, identity: FullIdentity): SessionJson {
    return {
      ...this.#sessionFields(session, identity.state),
      identity: this.#identityJson(identity),
      devices: devicesJson(session),
    };
  }

  #sessionFields(session: SessionRecord, identityState: FullIdentity["state"]) {
    return {
      id: session.id,
      active: this.#isLive(session, identityState),
      expires_at: toRfc3339(session.expiresAt),
      authenticated_at: toRfc3339(session.authenticatedAt),
      issued_at: toRfc3339(session.issuedAt),
      authenticator_assurance_level: session.aal,
      authentication_methods: session.authenticationMethods.map((m) => ({
        method: m.method,
        aal: m.aal,
        completed_at: toRfc3339(m.completedAt),
        ...(m.provider ? { provider: m.provider } : {}),
      })),
    };
  }

  #identityJson(identity: FullIdentity): SessionJson["identity"] {
    return identityToJson(identity, {
      publicBaseUrl: this.deps.config.publicBase,
      traitPolicy: formsOf(this.deps, identity.schemaId).traitPolicy,
    });
  }
}

function devicesJson(session: SessionRecord): SessionJson["devices"] {
  return session.devices.map((d) => ({
    id: d.id,
    ...(d.ipAddress ? { ip_address: d.ipAddress } : {}),
    ...(d.userAgent ? { user_agent: d.userAgent } : {}),
    location: d.location ?? "",
  }));
}

function deviceOf(ctx: RequestContext) {
  const ip = clientAddress(ctx.req);
  const ua = ctx.req.headers.get("user-agent") ?? undefined;
  return { id: crypto.randomUUID(), ...(ip ? { ipAddress: ip } : {}), ...(ua ? { userAgent: ua } : {}) };
}
