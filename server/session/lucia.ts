import { type Adapter, type DatabaseSession, Lucia, TimeSpan } from "lucia";
import type { Store } from "../../db/store.ts";
import type { ResolvedConfig } from "../config/resolve.ts";

/**
 * Lucia's adapter over our Store. Lucia's "session id" is our secret session token: it is what the
 * cookie carries, so the adapter looks sessions up by token. Expiry checks do not go through
 * `lucia.validateSession` (it reads Date.now() and slides expiry; Kratos sessions have a fixed
 * lifetime and Tessera moves time through an injected clock), so the session service checks them.
 */
export class StoreLuciaAdapter implements Adapter {
  constructor(private readonly store: Store) {}

  async getSessionAndUser(token: string) {
    const found = await this.store.getSessionWithIdentityByToken(token);
    if (!found) return [null, null] as [null, null];
    const session: DatabaseSession = {
      id: token,
      userId: found.session.identityId,
      expiresAt: found.session.expiresAt,
      attributes: {},
    };
    return [session, { id: found.identity.id, attributes: {} }] as [
      DatabaseSession,
      { id: string; attributes: Record<string, never> },
    ];
  }

  async getUserSessions(identityId: string): Promise<DatabaseSession[]> {
    const sessions = await this.store.listSessions(identityId, { active: true });
    return sessions.map((s) => ({
      id: s.token,
      userId: s.identityId,
      expiresAt: s.expiresAt,
      attributes: {},
    }));
  }

  async setSession(): Promise<void> {
    throw new Error("sessions are created by the session service, not through lucia");
  }

  async updateSessionExpiration(token: string, expiresAt: Date): Promise<void> {
    const session = await this.store.getSessionByToken(token);
    if (session) await this.store.updateSession({ ...session, expiresAt });
  }

  async deleteSession(token: string): Promise<void> {
    const session = await this.store.getSessionByToken(token);
    if (session) await this.store.revokeSession(session.id);
  }

  async deleteUserSessions(identityId: string): Promise<void> {
    await this.store.revokeSessionsOfIdentity(identityId);
  }

  async deleteExpiredSessions(): Promise<void> {}
}

export function createLucia(store: Store, config: ResolvedConfig): Lucia {
  const { session, cookies } = config.raw;
  const sameSite = (session.cookie.same_site ?? cookies.same_site).toLowerCase() as "lax" | "strict" | "none";
  const secure = session.cookie.secure ?? config.secureCookies;
  return new Lucia(new StoreLuciaAdapter(store), {
    sessionExpiresIn: new TimeSpan(Math.max(1, Math.floor(config.ms.sessionLifespan / 1000)), "s"),
    sessionCookie: {
      name: session.cookie.name,
      expires: session.cookie.persistent,
      attributes: {
        secure,
        sameSite: secure ? sameSite : "lax",
        path: session.cookie.path ?? cookies.path,
        ...(session.cookie.domain ? { domain: session.cookie.domain } : {}),
      },
    },
  });
}
