/**
 * Seeds benchmark users straight into a store: each a copy of one identity registered over HTTP (so
 * credentials and addresses are exactly what registration writes), with its own id, email, session
 * and, made over HTTP by `createSettingsFlows`, its own settings flow.
 */
import Database from "better-sqlite3";
import { generateId } from "lucia";
import type { FullIdentity, SessionRecord, Store } from "../db/store.ts";

export interface SeedUser {
  id: string;
  email: string;
  traits: { email: string; name: { first: string; last: string } };
  sessionId: string;
  token: string;
  flowId: string;
  /** The password every seeded user starts with. */
  password: string;
}

export const SEED_PASSWORD = "bench-seed-password-Zq8!x";

export function makeUsers(count: number, prefix: string): SeedUser[] {
  return Array.from({ length: count }, (_, i) => {
    const email = `${prefix}-${i}@example.com`;
    return {
      id: crypto.randomUUID(),
      email,
      traits: { email, name: { first: "Bench", last: `User ${i}` } },
      sessionId: crypto.randomUUID(),
      token: `ory_st_${generateId(32)}`,
      flowId: crypto.randomUUID(),
      password: SEED_PASSWORD,
    };
  });
}

/** Registers the template user over HTTP and returns its stored identity. */
export async function registerTemplate(base: string, store: Store, email: string): Promise<FullIdentity> {
  const flow = (await (await fetchRetrying(`${base}self-service/registration/api`)).json()) as {
    ui: { action: string };
  };
  const res = await fetch(flow.ui.action, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      method: "password",
      password: SEED_PASSWORD,
      traits: { email, name: { first: "Bench", last: "Template" } },
    }),
  });
  const body = (await res.json()) as { identity?: { id: string } };
  if (res.status !== 200 || !body.identity) throw new Error(`registration failed: ${res.status}`);
  const identity = await store.getIdentity(body.identity.id);
  if (!identity) throw new Error("registered identity not found in the store");
  return identity;
}

function copyOf(template: FullIdentity, user: SeedUser, now: Date): FullIdentity {
  const replace = (value: string) => (value === template.traits.email ? user.email : value);
  return {
    ...template,
    id: user.id,
    traits: structuredClone(user.traits),
    createdAt: now,
    updatedAt: now,
    credentials: template.credentials.map((c) => ({
      ...c,
      id: crypto.randomUUID(),
      identityId: user.id,
      identifiers: c.identifiers.map(replace),
    })),
    verifiableAddresses: template.verifiableAddresses.map((a) => ({
      ...a,
      id: crypto.randomUUID(),
      identityId: user.id,
      value: replace(a.value),
    })),
    recoveryAddresses: template.recoveryAddresses.map((a) => ({
      ...a,
      id: crypto.randomUUID(),
      identityId: user.id,
      value: replace(a.value),
    })),
  };
}

export async function seedIdentities(
  store: Store,
  template: FullIdentity,
  users: SeedUser[],
  withSessions = true,
): Promise<void> {
  const now = new Date();
  for (const [i, user] of users.entries()) {
    // SQLite's store answers synchronously, so without this the loop would never let the event
    // loop turn: kept-alive sockets the server closed meanwhile would look alive to fetch.
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    await store.createIdentity(copyOf(template, user, now));
    if (!withSessions) continue;
    const session: SessionRecord = {
      id: user.sessionId,
      token: user.token,
      logoutToken: `ory_lo_${generateId(32)}`,
      identityId: user.id,
      active: true,
      aal: "aal1",
      issuedAt: now,
      authenticatedAt: now,
      expiresAt: new Date(now.getTime() + 86_400_000),
      authenticationMethods: [{ method: "password", aal: "aal1", completedAt: now }],
      devices: [{ id: crypto.randomUUID(), userAgent: "bench" }],
      createdAt: now,
      updatedAt: now,
    };
    await store.createSession(session);
  }
}

/**
 * fetch with retries: a kept-alive socket the server closes for idleness just as a request goes
 * out fails with "other side closed" (the keep-alive timers racing on a busy machine, not an
 * answer); each retry may draw another such socket from the pool.
 */
export async function fetchRetrying(url: string, init?: RequestInit, attempts = 8): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

/** One settings flow per user, made over HTTP (the server's own flow creation). */
export async function createSettingsFlows(base: string, users: SeedUser[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const user = users[next++]!;
      const res = await fetch(`${base}self-service/settings/api`, {
        headers: { "x-session-token": user.token },
      });
      const flow = (await res.json()) as { id?: string };
      if (res.status !== 200 || !flow.id) throw new Error(`settings flow for ${user.email}: ${res.status}`);
      user.flowId = flow.id;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * Adds `count` identities to a SQLite file in one transaction, each a copy of `templateId` with its
 * own ids and email (`large-<n>@example.com`), credentials, identifiers and addresses, so the
 * indexes grow as real sign-ups would grow them. Without sessions: they only make the tables big.
 */
export function seedLargeSqlite(file: string, templateId: string, count: number): void {
  const db = new Database(file);
  db.pragma("busy_timeout = 5000");
  const id = (prefix: string) => `printf('${prefix}-0000-4000-8000-%012d', n.i)`;
  const email = `'large-' || n.i || '@example.com'`;
  const numbers = "with recursive n(i) as (select 1 union all select i + 1 from n where i < @count)";
  const statements = [
    `${numbers} insert into identities (id, schema_id, state, state_changed_at, traits, metadata_public,
       metadata_admin, external_id, created_at, updated_at, version)
     select ${id("a0000000")}, schema_id, state, state_changed_at, json_set(traits, '$.email', ${email}),
       metadata_public, metadata_admin, null, created_at, updated_at, 0 from identities, n where id = @template`,
    `${numbers} insert into identity_credentials (id, identity_id, type, config, version, created_at, updated_at)
     select ${id("b0000000")}, ${id("a0000000")}, type, config, version, created_at, updated_at
     from identity_credentials, n where identity_id = @template and type = 'password'`,
    `${numbers} insert into identity_credential_identifiers (credential_id, identity_id, credential_type, identifier, position)
     select ${id("b0000000")}, ${id("a0000000")}, 'password', ${email}, 0 from n`,
    `${numbers} insert into identity_verifiable_addresses (id, identity_id, via, value, verified, status, verified_at,
       created_at, updated_at)
     select ${id("c0000000")}, ${id("a0000000")}, via, ${email}, verified, status, verified_at, created_at, updated_at
     from identity_verifiable_addresses, n where identity_id = @template`,
    `${numbers} insert into identity_recovery_addresses (id, identity_id, via, value, created_at, updated_at)
     select ${id("d0000000")}, ${id("a0000000")}, via, ${email}, created_at, updated_at
     from identity_recovery_addresses, n where identity_id = @template`,
  ].map((sql) => db.prepare(sql));
  db.transaction(() => {
    for (const statement of statements) statement.run({ count, template: templateId });
  }).immediate();
  // Into the database file now: left in the WAL, the rows would make every read of the running
  // server (whose whoami never writes, so never checkpoints) look its pages up in that WAL first.
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
}
