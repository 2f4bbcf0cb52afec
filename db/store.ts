/**
 * The one persistence interface of Tessera. Two implementations (SQLite through better-sqlite3,
 * PostgreSQL through pg), both on drizzle-orm, both run through the same contract test suite.
 * Records use camelCase and `Date`s; the wire format (snake_case, RFC 3339) is the HTTP layer's job.
 */

import type { MigrationState } from "./migration-status.ts";
import type { WhoamiHead } from "./whoami.ts";

export type { MigrationState };

export type IdentityState = "active" | "inactive";
export type CredentialType = "password" | "oidc" | "totp" | "lookup_secret" | "webauthn" | "passkey" | "code";

export interface CredentialRecord {
  id: string;
  identityId: string;
  type: CredentialType;
  /** Normalised identifiers; unique per credential type across all identities. */
  identifiers: string[];
  /** Method-specific data, e.g. `{ hashed_password }` or `{ providers: [...] }`. */
  config: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface VerifiableAddressRecord {
  id: string;
  identityId: string;
  value: string;
  via: "email" | "sms";
  verified: boolean;
  status: "pending" | "sent" | "completed";
  verifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecoveryAddressRecord {
  id: string;
  identityId: string;
  value: string;
  via: "email" | "sms";
  createdAt: Date;
  updatedAt: Date;
}

export interface IdentityRecord {
  id: string;
  schemaId: string;
  state: IdentityState;
  stateChangedAt: Date | null;
  traits: Record<string, unknown>;
  metadataPublic: unknown | null;
  metadataAdmin: unknown | null;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /**
   * Bumped by every write of the identity (0 when created). Identities read from a store always
   * carry it; one built in memory may leave it out.
   */
  version?: number;
}

/** An identity with everything that must change together with it. */
export interface FullIdentity extends IdentityRecord {
  credentials: CredentialRecord[];
  verifiableAddresses: VerifiableAddressRecord[];
  recoveryAddresses: RecoveryAddressRecord[];
}

export interface AuthenticationMethodRecord {
  method: string;
  aal: "aal1" | "aal2";
  completedAt: Date;
  provider?: string;
}

export interface SessionDeviceRecord {
  id: string;
  ipAddress?: string;
  userAgent?: string;
  location?: string;
}

export interface SessionRecord {
  id: string;
  /** Secret bearer token (`ory_st_…`); also the value the session cookie refers to. */
  token: string;
  /** Secret logout token (`ory_lo_…`). */
  logoutToken: string;
  identityId: string;
  active: boolean;
  aal: "aal0" | "aal1" | "aal2";
  issuedAt: Date;
  authenticatedAt: Date;
  expiresAt: Date;
  authenticationMethods: AuthenticationMethodRecord[];
  devices: SessionDeviceRecord[];
  createdAt: Date;
  updatedAt: Date;
}

export type FlowKind = "login" | "registration" | "settings" | "verification" | "recovery";

/**
 * One row per self-service flow of any kind. Kind-specific wire fields (refresh, requested_aal, ...)
 * and server-only state live in `data` and `internalContext`.
 */
export interface FlowRecord {
  id: string;
  kind: FlowKind;
  type: "browser" | "api";
  /** Owner of settings flows; the identity a verification flow is for; null otherwise. */
  identityId: string | null;
  state: string;
  requestUrl: string;
  returnTo: string | null;
  active: string | null;
  /** The `ui` container as sent on the wire (action, method, nodes, messages). */
  ui: Record<string, unknown>;
  /** Kind-specific wire fields (e.g. `{ refresh: true, requested_aal: "aal1" }` for login). */
  data: Record<string, unknown>;
  /** Server-only state that never reaches the wire (e.g. the CSRF token a login flow was made with). */
  internalContext: Record<string, unknown>;
  issuedAt: Date;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** A paused submission waiting for a re-authentication (contract §10.3). */
export interface ContinuityRecord {
  id: string;
  name: string;
  identityId: string | null;
  payload: Record<string, unknown>;
  expiresAt: Date;
  createdAt: Date;
}

/** An error stored for the browser error container (contract §1.3). */
export interface StoredErrorRecord {
  id: string;
  error: Record<string, unknown>;
  seenAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CourierMessageRecord {
  id: string;
  type: "email" | "sms";
  status: "queued" | "sent" | "processing" | "abandoned";
  recipient: string;
  subject: string;
  body: string;
  templateType: string;
  sendCount: number;
  createdAt: Date;
  updatedAt: Date;
  /** The HTML alternative of an email; null or absent when there is none. */
  htmlBody?: string | null;
  /** Back-off: the message is not claimed before this time; null or absent means at once. */
  sendAfter?: Date | null;
}

/** One delivery attempt of a courier message (Kratos's `messageDispatch`). */
export interface CourierDispatchRecord {
  id: string;
  messageId: string;
  status: "failed" | "success";
  /** Kratos's error envelope body for a failed attempt. */
  error: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Which messages the admin list shows: newest first (ties by id), after the keyset cursor. */
export interface ListCourierMessagesQuery {
  status?: CourierMessageRecord["status"];
  recipient?: string;
  pageSize: number;
  /** The last message of the previous page. */
  after?: { createdAt: Date; id: string };
}

export interface ClaimCourierMessagesQuery {
  now: Date;
  limit: number;
  /** Messages still `processing` since before this time are taken over (their dispatcher died). */
  stuckBefore: Date;
}

export interface ListIdentitiesQuery {
  pageSize: number;
  /** Opaque keyset cursor: the id after which to continue (ids are ordered ascending). */
  pageToken?: string;
  ids?: string[];
  /** Exact match against any credential identifier. */
  credentialsIdentifier?: string;
  /** Exact match against `external_id` (unique, so at most one identity). */
  externalId?: string;
}

/** Thrown when a write would break a uniqueness rule (duplicate identifier or address). */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ConflictError";
  }
}

/**
 * What a mutation decided on the identity's current state: `identity` is written (only what
 * differs from the current state), or nothing is written when it is absent. `value` is handed back.
 */
export interface IdentityMutation<T> {
  identity?: FullIdentity;
  value: T;
  /** Recorded in the same transaction, when the identity is written. */
  events?: readonly SecurityEventRecord[];
  /**
   * Moved from `from` to `to` in the same transaction, when the identity is written; when it is no
   * longer in `from`, nothing is written and `AddressChangeMovedError` is thrown.
   */
  addressChange?: { id: string; from: AddressChangeStatus; to: AddressChangeStatus };
  /**
   * A flow to write (as `updateFlow` does) in the same transaction, when the identity is written:
   * built from the identity as written, synchronous and free of side effects like the mutation.
   */
  flow?: (written: FullIdentity) => FlowRecord;
}

/**
 * A change of an address trait held until the new address is verified, or already made and still
 * revertible from the old address (docs/account-features.md, "Pending address changes").
 */
export interface AddressChangeRecord {
  id: string;
  identityId: string;
  /**
   * `pending`: waiting for the new address to be verified; `applied`: the trait holds the new
   * address; `cancelled`: withdrawn before it applied (or replaced by a newer one); `reverted`:
   * undone from the old address's link after it applied.
   */
  status: AddressChangeStatus;
  /** The trait, as a node name (`traits.email`). */
  trait: string;
  via: "email";
  oldValue: string;
  newValue: string;
  /** The verification flow the new address's secret went out on; null once applied directly. */
  verificationFlowId: string | null;
  /** The session that asked: a pending change applies only while it is still active (Kratos). */
  sessionId: string | null;
  /** HMAC of the "this wasn't me" token mailed to the old address; null when no notice went out. */
  revertHmac: string | null;
  revertExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type AddressChangeStatus = "pending" | "applied" | "cancelled" | "reverted";

/** Thrown by `mutateIdentity` when the address change it was to move is no longer in `from`. */
export class AddressChangeMovedError extends Error {
  constructor(readonly changeId: string) {
    super(`address change ${changeId} is no longer in the expected state`);
    this.name = "AddressChangeMovedError";
  }
}

/** A deletion the person asked for, executed at `dueAt` unless they sign in before. */
export interface AccountDeletionRecord {
  identityId: string;
  requestedAt: Date;
  dueAt: Date;
}

/** One entry of an identity's security history (server/account/history.ts). */
export interface SecurityEventRecord {
  id: string;
  identityId: string;
  /** e.g. `registration`, `login`, `login_failed`, `settings`, `session_revoked`. */
  type: string;
  /** The method involved (`password`, `profile`, `oidc`, …), if any. */
  method: string | null;
  outcome: "success" | "failure";
  /** Coarse network: an IPv4 /24 or IPv6 /48, never the full address. */
  network: string | null;
  /** Coarse client: browser family and operating system, never the raw header. */
  client: string | null;
  createdAt: Date;
}

/** Conditions checked inside the mutation's transaction, before the mutation runs. */
export interface MutationGuard {
  /** This session must exist, belong to the identity, be active and unexpired at `now`. */
  sessionId?: string;
  /** The identity must be active. */
  requireActive?: boolean;
  /** The time sessions are checked against (the app's clock). */
  now?: Date;
  /**
   * The identity the change was decided on, as this store returned it (children included, not
   * modified since). While the stored version is still its version, its credentials and addresses
   * are the current ones and are not read again: every write of an identity bumps the version.
   */
  decidedOn?: FullIdentity;
}

export type MutationResult<T> =
  | {
      kind: "done";
      value: T;
      /** As written, or the current state when nothing was written. */
      identity: FullIdentity;
    }
  | { kind: "not_found" }
  | { kind: "session_inactive" }
  | { kind: "identity_inactive" };

/** What `tessera cleanup` deletes once expired (contract: Kratos's `cleanup sql`). */
export type ExpiringRecords = "flows" | "sessions" | "continuity";

export interface Store {
  readonly dialect: "sqlite" | "postgres";
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  /** The migrations this build ships, in order, and whether each is applied (`tessera migrate status`). */
  migrationStatus(): Promise<MigrationState[]>;
  close(): Promise<void>;
  /** Answers whether the database can be reached (for /health/ready). */
  ping(): Promise<boolean>;

  // Identities: each write is one transaction over the identity, its credentials and addresses.
  createIdentity(identity: FullIdentity, events?: readonly SecurityEventRecord[]): Promise<FullIdentity>;
  getIdentity(id: string): Promise<FullIdentity | undefined>;
  /**
   * Replaces the identity row, its credentials and addresses as one unit, whatever the current
   * state (last writer wins). Prefer `mutateIdentity`, which decides on the current state.
   */
  updateIdentity(identity: FullIdentity): Promise<FullIdentity>;
  /**
   * Reads the identity's current state and writes the change `mutate` decides on it, in one
   * transaction that no other write of the identity can interleave with (PostgreSQL: the identity
   * row is locked; SQLite: an immediate transaction). `mutate` must be synchronous and free of side
   * effects: if it throws, nothing is written and the error propagates. Only what differs from the
   * current state is written, and `version` is bumped.
   */
  mutateIdentity<T>(
    id: string,
    mutate: (current: FullIdentity) => IdentityMutation<T>,
    guard?: MutationGuard,
  ): Promise<MutationResult<T>>;
  deleteIdentity(id: string): Promise<boolean>;
  listIdentities(query: ListIdentitiesQuery): Promise<{ identities: FullIdentity[]; nextPageToken?: string }>;
  /** Finds the identity owning a credential identifier of the given type (identifier already normalised). */
  findIdentityByCredentialIdentifier(
    type: CredentialType,
    identifier: string,
  ): Promise<FullIdentity | undefined>;
  /**
   * The identity owning a verifiable (or recovery) address, by its channel and normalised value
   * (addresses are unique per channel and value). Verification and recovery look addresses up.
   */
  findIdentityIdByAddress(
    kind: "verifiable" | "recovery",
    via: "email" | "sms",
    value: string,
  ): Promise<string | undefined>;

  // Sessions.
  createSession(session: SessionRecord, events?: readonly SecurityEventRecord[]): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  getSessionByToken(token: string): Promise<SessionRecord | undefined>;
  /** Hot path of whoami: the session and its identity in one call. */
  getSessionWithIdentityByToken(
    token: string,
  ): Promise<{ session: SessionRecord; identity: FullIdentity } | undefined>;
  /**
   * whoami's lookup, one prepared statement: like `getSessionWithIdentityByToken` but with only what
   * whoami shows, so the identity's `credentials` are left empty and `metadataAdmin` null.
   */
  getSessionForWhoami(token: string): Promise<{ session: SessionRecord; identity: FullIdentity } | undefined>;
  /**
   * The session and its identity's state and stamp (`identityStamp` in db/whoami.ts), without the
   * identity itself: whoami asks this first and reads the identity only when its stamp is new.
   */
  getWhoamiHead(token: string): Promise<WhoamiHead | undefined>;
  updateSession(session: SessionRecord): Promise<void>;
  listSessions(identityId: string, options?: { active?: boolean }): Promise<SessionRecord[]>;
  listAllSessions(query: { pageSize: number; pageToken?: string; active?: boolean }): Promise<{
    sessions: SessionRecord[];
    nextPageToken?: string;
  }>;
  /** Marks a session inactive. Returns false when it does not exist. */
  revokeSession(id: string): Promise<boolean>;
  /** Marks all of an identity's sessions inactive except `exceptId`; returns how many were revoked. */
  revokeSessionsOfIdentity(identityId: string, exceptId?: string): Promise<number>;
  deleteSessionsOfIdentity(identityId: string): Promise<number>;

  // Flows.
  createFlow(flow: FlowRecord): Promise<void>;
  getFlow(id: string): Promise<FlowRecord | undefined>;
  /**
   * Writes the flow. A flow in state "passed_challenge" keeps that state (the state is terminal,
   * as in Kratos): an update decided on an older copy cannot reopen a used flow.
   */
  updateFlow(flow: FlowRecord): Promise<void>;
  /**
   * Compare-and-set of a flow's state: moves it from `from` to `to` only when it is in `from`.
   * Answers whether it moved, so of two concurrent claims exactly one succeeds.
   */
  transitionFlow(id: string, from: string, to: string, at: Date): Promise<boolean>;
  /**
   * Counts one attempt at a flow's one-time secret of `generation` in a single statement and answers
   * the count including it, so concurrent attempts each get a different number.
   */
  countFlowAttempt(flowId: string, generation: string): Promise<number>;

  // Continuity containers.
  saveContinuity(record: ContinuityRecord): Promise<void>;
  getContinuity(id: string): Promise<ContinuityRecord | undefined>;
  deleteContinuity(id: string): Promise<void>;
  /** Deletes an identity's pending containers with any of the given names. */
  deleteContinuityByNames(identityId: string, names: string[]): Promise<void>;

  // Browser error container.
  saveError(record: StoredErrorRecord): Promise<void>;
  getError(id: string): Promise<StoredErrorRecord | undefined>;
  markErrorSeen(id: string, at: Date): Promise<void>;

  // Courier queue.
  enqueueMessage(message: CourierMessageRecord): Promise<void>;
  listMessages(query: {
    status?: CourierMessageRecord["status"];
    limit: number;
  }): Promise<CourierMessageRecord[]>;
  updateMessage(message: CourierMessageRecord): Promise<void>;

  // Security history.
  recordSecurityEvents(events: readonly SecurityEventRecord[]): Promise<void>;
  /** Newest first; `before` pages backwards by time. */
  listSecurityEvents(
    identityId: string,
    query: { limit: number; before?: Date },
  ): Promise<SecurityEventRecord[]>;
  /** Retention: deletes entries older than `cutoff`; returns how many. */
  deleteSecurityEventsBefore(cutoff: Date): Promise<number>;

  // Self-service account deletion with a grace period.
  /** Schedules (or reschedules) the identity's deletion, with its history entry, in one transaction. */
  scheduleDeletion(deletion: AccountDeletionRecord, events: readonly SecurityEventRecord[]): Promise<void>;
  getDeletion(identityId: string): Promise<AccountDeletionRecord | undefined>;
  /** True when a scheduled deletion was cancelled. */
  cancelDeletion(identityId: string, events: readonly SecurityEventRecord[]): Promise<boolean>;
  /** Identities whose deletion is due at `now` (oldest first). */
  dueDeletions(now: Date, limit: number): Promise<string[]>;

  // Address changes held until verified, or revertible from the old address.
  /**
   * Stores a new change; the identity's other `pending` changes become `cancelled` (one pending
   * change at a time), with the history entries, in one transaction.
   */
  createAddressChange(change: AddressChangeRecord, events: readonly SecurityEventRecord[]): Promise<void>;
  getAddressChange(id: string): Promise<AddressChangeRecord | undefined>;
  /** The identity's pending change, if any. */
  pendingAddressChange(identityId: string): Promise<AddressChangeRecord | undefined>;
  /**
   * A flow and the pending change of an identity, read together: a settings submission needs both,
   * and on PostgreSQL together is one round trip instead of two. No flow, no change.
   */
  getFlowAndPendingChange(
    flowId: string,
    identityId: string,
  ): Promise<{ flow: FlowRecord | undefined; pendingChange: AddressChangeRecord | undefined }>;
  findAddressChangeByRevertHmac(hmac: string): Promise<AddressChangeRecord | undefined>;
  /**
   * Compare-and-set of a change's status, with its history entries in the same transaction;
   * answers whether it moved (of two concurrent moves exactly one succeeds).
   */
  transitionAddressChange(
    id: string,
    from: AddressChangeStatus,
    to: AddressChangeStatus,
    at: Date,
    events: readonly SecurityEventRecord[],
  ): Promise<boolean>;
  getMessage(id: string): Promise<CourierMessageRecord | undefined>;
  /** Up to `pageSize + 1` messages, so the caller learns whether another page exists. */
  pageMessages(query: ListCourierMessagesQuery): Promise<CourierMessageRecord[]>;
  /**
   * Atomically moves up to `limit` due messages (queued and past `sendAfter`, or stuck in
   * processing) to `processing`, counting the attempt in `sendCount` and stamping `updatedAt` with
   * `now`; with several processes on one database each message is claimed by exactly one.
   */
  claimMessages(query: ClaimCourierMessagesQuery): Promise<CourierMessageRecord[]>;
  /**
   * Writes the outcome of an attempt, only if the message is still in the claim made at
   * `claimedAt` (processing, `updatedAt` unchanged); false when another dispatcher took it over.
   */
  settleMessage(
    id: string,
    claimedAt: Date,
    changes: Pick<CourierMessageRecord, "status" | "updatedAt"> & {
      sendAfter?: Date | null;
      sendCount?: number;
    },
  ): Promise<boolean>;
  recordDispatch(dispatch: CourierDispatchRecord): Promise<void>;
  /** A message's attempts, newest first. */
  listDispatches(messageId: string): Promise<CourierDispatchRecord[]>;

  // Cleanup.
  /**
   * Deletes at most `limit` records of one kind that expired at or before `before` (the oldest
   * first) and answers how many went; the caller repeats in batches until fewer than `limit` go.
   */
  deleteExpired(kind: ExpiringRecords, before: Date, limit: number): Promise<number>;
}
