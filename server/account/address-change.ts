import { createHmac, timingSafeEqual } from "node:crypto";
import type { UiNode, UiText } from "#shared/ui.ts";
import {
  AddressChangeMovedError,
  type AddressChangeRecord,
  ConflictError,
  type FlowRecord,
  type FullIdentity,
} from "../../db/store.ts";
import type { HookConfig } from "../config/schema.ts";
import type { AppDeps } from "../deps.ts";
import { afterFor } from "../flows/kit/after.ts";
import { newToken } from "../flows/kit/one-time.ts";
import { commitIdentityChange } from "../identity/commit.ts";
import { formsOf, type SchemaForms } from "../identity/forms.ts";
import { withTraits } from "../identity/manager.ts";
import { normalizeEmail } from "../identity/normalize.ts";
import { identityToJson } from "../identity/serialize.ts";
import { valueAt } from "../identity/trait-policy.ts";
import { markVerified } from "../identity/verified.ts";
import type { RequestContext } from "../request/context.ts";
import { errors, type HttpError } from "../request/errors.ts";
import { toRfc3339 } from "../time.ts";
import { message } from "../ui/messages.ts";
import { inputNode } from "../ui/nodes.ts";
import { eventsFor, recordEvents } from "./history.ts";

/**
 * Address changes held until the new address is verified, and revertible from the old address
 * (docs/account-features.md, "Pending address changes"). Switched on as Kratos's master does it,
 * by the settings hooks `verify_new_address` (hold) and `notify_previous_addresses` (notice to
 * the previous addresses), or per trait by `"tessera.dev/policy": {"verified": true}` (both).
 *
 * While a change is pending the trait keeps the old address (it still signs in and receives
 * mail); the new one gets a verification flow. Verifying it applies the change in one transaction
 * on the identity's current state (the version check of server/identity/commit.ts, so an edit
 * made meanwhile is kept). The old address gets a notice whose link cancels a pending change or,
 * once applied, restores the old address and ends every session of the identity.
 */

/** The settings submission field that cancels the pending change (method `profile`). */
export const CANCEL_FIELD = "cancel_pending_address";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function withValueAt(traits: Json, segments: readonly string[], value: unknown): Json {
  const copy = structuredClone(traits);
  let current = copy;
  for (const key of segments.slice(0, -1)) {
    if (!isObject(current[key])) current[key] = {};
    current = current[key] as Json;
  }
  current[segments.at(-1)!] = value;
  return copy;
}

const segmentsOf = (trait: string) => trait.split(".").slice(1);

/** The address list with `value` (an email) marked verified now: it is the one the owner proved. */
function withEmailVerified(
  addresses: FullIdentity["verifiableAddresses"],
  value: string,
  now: Date,
): FullIdentity["verifiableAddresses"] {
  return markVerified(addresses, (a) => a.via === "email" && a.value === value && !a.verified, now);
}

/** `traits` with `trait` (a node name) set back to its value in `from`. */
export function keepTrait(traits: Json, from: Json, trait: string): Json {
  const segments = segmentsOf(trait);
  return withValueAt(traits, segments, valueAt(from, segments));
}

// --- Configuration ----------------------------------------------------------------------------

interface Switches {
  /** `verify_new_address`: address traits are held too, not only `verified` ones. */
  verifyHook: boolean;
  /** `notify_previous_addresses` and its recipients. */
  notify: "removed" | "all_verified" | "all" | undefined;
}

function switches(deps: AppDeps): Switches {
  const { hooks } = afterFor(deps.config.raw.selfservice.flows.settings.after, "profile");
  const notify = hooks.find(
    (h): h is Extract<HookConfig, { hook: "notify_previous_addresses" }> =>
      h.hook === "notify_previous_addresses",
  );
  return {
    verifyHook: hooks.some((h) => h.hook === "verify_new_address"),
    notify: notify ? (notify.config?.recipients ?? "removed") : undefined,
  };
}

const addressTraitCache = new WeakMap<SchemaForms, readonly string[]>();

/**
 * Traits holding one email address that is a verifiable or recovery address or a login identifier
 * (`ory.sh/kratos`); traits inside arrays are not covered (docs).
 */
function addressTraits(forms: SchemaForms): readonly string[] {
  const cached = addressTraitCache.get(forms);
  if (cached) return cached;
  const names = forms.entry.extensions.sites
    .filter((site) => !site.path.includes("*"))
    .filter(({ config }) =>
      Boolean(
        config.verification?.via === "email" ||
          config.recovery?.via === "email" ||
          config.credentials?.password?.identifier ||
          (config.credentials?.code?.identifier && config.credentials.code.via !== "sms"),
      ),
    )
    .map((site) => ["traits", ...site.path].join("."));
  const unique = [...new Set(names)];
  addressTraitCache.set(forms, unique);
  return unique;
}

function verifiedRuleTraits(forms: SchemaForms): string[] {
  return [...forms.traitPolicy.rules].filter(([, rules]) => rules.has("verified")).map(([name]) => name);
}

/** A change of one address trait from one email address to another. */
export interface AddressEdit {
  trait: string;
  oldValue: string;
  newValue: string;
  /** Held by the `verified` rule (not only by the hook): the notice goes out whatever the hooks say. */
  byRule: boolean;
}

function editsAmong(before: Json, after: Json, names: readonly string[], ruled: Set<string>): AddressEdit[] {
  const edits: AddressEdit[] = [];
  for (const trait of names) {
    const segments = segmentsOf(trait);
    const was = valueAt(before, segments);
    const now = valueAt(after, segments);
    if (typeof was !== "string" || typeof now !== "string" || was === "" || now === "") continue;
    const oldNorm = normalizeEmail(was);
    const newNorm = normalizeEmail(now);
    // Only an email address can be proven by mail; a case-only edit is the same address.
    if (!newNorm || oldNorm === newNorm) continue;
    edits.push({ trait, oldValue: was, newValue: newNorm, byRule: ruled.has(trait) });
  }
  return edits;
}

export type HoldPlan =
  | { kind: "none" }
  | { kind: "too_many" }
  /** `traits` are the submitted traits with the held address kept at its old value. */
  | { kind: "hold"; edit: AddressEdit; traits: Json };

/** Whether a profile change from `before` to `after` traits is held (and which address). */
export function planHold(deps: AppDeps, identity: FullIdentity, after: Json): HoldPlan {
  const forms = formsOf(deps, identity.schemaId);
  const ruled = new Set(verifiedRuleTraits(forms));
  const { verifyHook } = switches(deps);
  const names = verifyHook ? [...new Set([...addressTraits(forms), ...ruled])] : [...ruled];
  if (names.length === 0) return { kind: "none" };
  const edits = editsAmong(identity.traits, after, names, ruled);
  if (edits.length === 0) return { kind: "none" };
  if (edits.length > 1) return { kind: "too_many" };
  const edit = edits[0]!;
  return { kind: "hold", edit, traits: withValueAt(after, segmentsOf(edit.trait), edit.oldValue) };
}

/**
 * `notify_previous_addresses` without a hold: a change that went through at once still gets a
 * notice with a revert link (Kratos notifies the previous addresses after the change).
 */
export function appliedEdit(
  deps: AppDeps,
  before: FullIdentity,
  after: FullIdentity,
): AddressEdit | undefined {
  if (!switches(deps).notify) return undefined;
  const forms = formsOf(deps, before.schemaId);
  const ruled = new Set(verifiedRuleTraits(forms));
  const names = [...new Set([...addressTraits(forms), ...ruled])];
  const edits = editsAmong(before.traits, after.traits, names, ruled);
  return edits.length === 1 ? edits[0] : undefined;
}

// --- Tokens -----------------------------------------------------------------------------------

function hmacOf(deps: AppDeps, token: string): string {
  const key =
    deps.config.raw.secrets.default?.[0] ?? deps.config.raw.secrets.cookie?.[0] ?? "tessera-one-time";
  return createHmac("sha256", key).update(`address-change-revert\u0000${token}`).digest("hex");
}

function revertUrl(deps: AppDeps, token: string): string {
  const u = new URL("self-service/account/address-change/revert", deps.config.publicBase);
  u.searchParams.set("token", token);
  return u.toString();
}

// --- Creating a change ------------------------------------------------------------------------

/** The addresses that get the notice, per `notify_previous_addresses.config.recipients`. */
function recipientsOf(mode: Switches["notify"], before: FullIdentity, edit: AddressEdit): string[] {
  const removed = normalizeEmail(edit.oldValue) ?? edit.oldValue;
  const emails = before.verifiableAddresses.filter((a) => a.via === "email");
  const list =
    mode === "all"
      ? emails.map((a) => a.value)
      : mode === "all_verified"
        ? emails.filter((a) => a.verified).map((a) => a.value)
        : [];
  return [...new Set([removed, ...list])];
}

/**
 * Records a change (pending, or already applied) and mails the notice with the revert link to the
 * previous addresses when notices are on. Answers the record.
 */
export async function recordAddressChange(
  deps: AppDeps,
  ctx: RequestContext,
  before: FullIdentity,
  edit: AddressEdit,
  opts: {
    id?: string;
    status: "pending" | "applied";
    verificationFlowId?: string | undefined;
    sessionId?: string | undefined;
  },
): Promise<AddressChangeRecord> {
  const now = deps.clock.now();
  const mode = switches(deps).notify ?? (edit.byRule ? "removed" : undefined);
  const token = mode ? newToken() : undefined;
  const record: AddressChangeRecord = {
    id: opts.id ?? crypto.randomUUID(),
    identityId: before.id,
    status: opts.status,
    trait: edit.trait,
    via: "email",
    oldValue: edit.oldValue,
    newValue: edit.newValue,
    verificationFlowId: opts.verificationFlowId ?? null,
    sessionId: opts.sessionId ?? null,
    revertHmac: token ? hmacOf(deps, token) : null,
    revertExpiresAt: token ? new Date(now.getTime() + deps.config.ms.addressChangeRevertLifespan) : null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.store.createAddressChange(
    record,
    opts.status === "pending"
      ? eventsFor(deps, ctx, before.id, "address_change_requested", { method: "profile" })
      : [],
  );
  if (token && record.revertExpiresAt) {
    const identity = identityToJson(before, { publicBaseUrl: deps.config.publicBase });
    for (const to of recipientsOf(mode, before, edit)) {
      await deps.courier.queueEmail({
        template: "verifiable_address_changed",
        to,
        model: {
          To: to,
          Identity: identity,
          ChangedAt: toRfc3339(now),
          RevertURL: revertUrl(deps, token),
          RevertExpiresAt: toRfc3339(record.revertExpiresAt),
          TransientPayload: {},
        },
      });
    }
  }
  deps.audit("account.address_change", { identity_id: before.id, status: opts.status }, ctx);
  return record;
}

// --- Showing it -------------------------------------------------------------------------------

export interface PendingAddressChangeJson {
  id: string;
  /** The trait, as a node name (`traits.email`). */
  trait: string;
  via: "email";
  /** The address that takes the trait's place once verified. */
  new_address: string;
  /** The verification flow its secret went out on. */
  verification_flow_id: string | null;
  created_at: string;
}

export function pendingJson(change: AddressChangeRecord): PendingAddressChangeJson {
  return {
    id: change.id,
    trait: change.trait,
    via: change.via,
    new_address: change.newValue,
    verification_flow_id: change.verificationFlowId,
    created_at: toRfc3339(change.createdAt),
  };
}

/** The info message naming the address waiting for verification (1900002). */
export function pendingMessage(change: AddressChangeRecord): UiText {
  return message(1900002, [change.newValue], { address: change.newValue, name: change.trait });
}

/**
 * The settings flow's nodes for a pending change (group `profile`, so Kratos's UIs render them): a
 * text node saying what waits for verification and a submit button that cancels it.
 */
export function pendingNodes(change: AddressChangeRecord | undefined): UiNode[] {
  if (!change) return [];
  return [
    {
      type: "text",
      group: "profile",
      attributes: { id: "pending_address_change", text: pendingMessage(change), node_type: "text" },
      messages: [],
      meta: {},
    } as UiNode,
    // Its value sorts after the text's (nodes of equal key position are ordered by value).
    inputNode("profile", CANCEL_FIELD, "submit", {
      value: "true",
      label: message(1900003, [change.newValue], { address: change.newValue }),
    }),
  ];
}

/** The identity's pending change, for the settings flow and `account.addressChange`. */
export function pendingChangeOf(deps: AppDeps, identityId: string) {
  return deps.store.pendingAddressChange(identityId);
}

// --- Cancelling -------------------------------------------------------------------------------

/** Withdraws the identity's pending change; false when there is none (any more). */
export async function cancelPending(
  deps: AppDeps,
  ctx: RequestContext | undefined,
  identityId: string,
  how: "settings" | "revert_link",
): Promise<boolean> {
  const pending = await deps.store.pendingAddressChange(identityId);
  if (!pending) return false;
  return deps.store.transitionAddressChange(
    pending.id,
    "pending",
    "cancelled",
    deps.clock.now(),
    eventsFor(deps, ctx, identityId, "address_change_cancelled", { method: how }),
  );
}

// --- Applying (verification) ------------------------------------------------------------------

export type ApplyResult = { ok: true; identity: FullIdentity } | { ok: false; reason: UiText };

/**
 * The new address was verified: the trait takes it in one transaction on the identity's current
 * state, moving the change to `applied`; the new verifiable address is verified at once. Decided on
 * the identity as read here and checked against its version at commit: a profile edit that
 * committed in between makes this re-read and re-apply (never overwrite) it.
 */
export async function applyVerified(
  deps: AppDeps,
  ctx: RequestContext,
  changeId: string,
): Promise<ApplyResult> {
  const refused: ApplyResult = { ok: false, reason: message(4900005) };
  for (let attempt = 0; attempt < 3; attempt++) {
    const change = await deps.store.getAddressChange(changeId);
    if (change?.status !== "pending") return refused;
    const identity = await deps.store.getIdentity(change.identityId);
    if (!identity) return refused;
    const segments = segmentsOf(change.trait);
    const now = deps.clock.now();
    try {
      const result = await commitIdentityChange(deps, {
        decidedOn: identity,
        dependsOn: ["traits", "schema_id"],
        apply: (current) => {
          // The address it replaces is gone (an administrator changed it): nothing to replace.
          if (valueAt(current.traits, segments) !== change.oldValue)
            return { ok: false, issues: [{ path: change.trait, message: message(4900005) }] };
          const next = withTraits(deps, current, withValueAt(current.traits, segments, change.newValue));
          if (!next.ok) return next;
          return {
            ok: true,
            identity: {
              ...next.identity,
              verifiableAddresses: withEmailVerified(next.identity.verifiableAddresses, change.newValue, now),
            },
          };
        },
        events: eventsFor(deps, ctx, identity.id, "address_change_applied", { method: "verification" }),
        addressChange: { id: change.id, from: "pending", to: "applied" },
        // As in Kratos: the session that asked must still be active (signing it out withdraws it).
        ...(change.sessionId ? { sessionId: change.sessionId } : {}),
      });
      if (result.kind === "committed") {
        deps.audit("account.address_change", { identity_id: identity.id, status: "applied" }, ctx);
        return { ok: true, identity: result.identity };
      }
      if (result.kind === "conflict") continue;
      return refused;
    } catch (err) {
      if (err instanceof AddressChangeMovedError) return refused;
      // The new address was taken by another account meanwhile.
      if (err instanceof ConflictError) return { ok: false, reason: message(4000007) };
      throw err;
    }
  }
  return refused;
}

// --- Reverting from the old address -----------------------------------------------------------

export type RevertCheck =
  | { ok: true; change: AddressChangeRecord }
  | { ok: false; reason: "invalid" | "expired" | "used" };

/** Finds the change a revert token is for; unknown, expired and used tokens are told apart. */
export async function checkRevertToken(
  deps: AppDeps,
  token: string | null | undefined,
): Promise<RevertCheck> {
  if (!token || token.length > 256) return { ok: false, reason: "invalid" };
  const hmac = hmacOf(deps, token);
  const change = await deps.store.findAddressChangeByRevertHmac(hmac);
  if (!change?.revertHmac) return { ok: false, reason: "invalid" };
  const a = Buffer.from(change.revertHmac);
  const b = Buffer.from(hmac);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: "invalid" };
  if (change.status === "cancelled" || change.status === "reverted") return { ok: false, reason: "used" };
  if (!change.revertExpiresAt || change.revertExpiresAt.getTime() < deps.clock.now().getTime())
    return { ok: false, reason: "expired" };
  return { ok: true, change };
}

export type RevertOutcome = { state: "cancelled" | "reverted"; sessions_revoked: number };

const REFUSALS = {
  invalid: { id: 4900004, text: "This link is invalid or was already used." },
  used: { id: 4900004, text: "This link is invalid or was already used." },
  expired: { id: 4900003, text: "This link has expired." },
} as const;

/** The error for a refused revert link: 410 for expired or used links, 400 for unknown ones. */
export function revertRefusal(reason: "invalid" | "expired" | "used"): HttpError {
  const r = REFUSALS[reason];
  const init = { id: `address_change_revert_${reason}`, details: { message_id: r.id } };
  return reason === "invalid" ? errors.badRequest(r.text, init) : errors.gone({ ...init, reason: r.text });
}

/**
 * "This wasn't me": a pending change is cancelled; an applied one is undone (the trait gets the old
 * address back, proven by this link, so it is verified) and every session of the identity ends.
 */
export async function revertAddressChange(
  deps: AppDeps,
  ctx: RequestContext,
  token: string | null | undefined,
): Promise<RevertOutcome> {
  const check = await checkRevertToken(deps, token);
  if (!check.ok) throw revertRefusal(check.reason);
  const { change } = check;
  if (change.status === "pending") {
    const moved = await deps.store.transitionAddressChange(
      change.id,
      "pending",
      "cancelled",
      deps.clock.now(),
      eventsFor(deps, ctx, change.identityId, "address_change_reverted", { method: "revert_link" }),
    );
    if (moved) return { state: "cancelled", sessions_revoked: 0 };
    // Applied (or used) meanwhile: decide again on what it is now.
    return revertAddressChange(deps, ctx, token);
  }
  const identity = await deps.store.getIdentity(change.identityId);
  if (!identity) throw revertRefusal("invalid");
  const segments = segmentsOf(change.trait);
  const now = deps.clock.now();
  const oldNorm = normalizeEmail(change.oldValue) ?? change.oldValue;
  try {
    const result = await commitIdentityChange(deps, {
      decidedOn: identity,
      // Whatever the trait holds now, the old address goes back: the link is the owner's word.
      dependsOn: [],
      apply: (current) => {
        const next = withTraits(deps, current, withValueAt(current.traits, segments, change.oldValue));
        if (!next.ok) return next;
        return {
          ok: true,
          identity: {
            ...next.identity,
            verifiableAddresses: withEmailVerified(next.identity.verifiableAddresses, oldNorm, now),
          },
        };
      },
      events: eventsFor(deps, ctx, change.identityId, "address_change_reverted", { method: "revert_link" }),
      addressChange: { id: change.id, from: "applied", to: "reverted" },
    });
    if (result.kind !== "committed") throw revertRefusal("invalid");
  } catch (err) {
    if (err instanceof AddressChangeMovedError) throw revertRefusal("used");
    if (err instanceof ConflictError)
      throw errors.badRequest("The previous address now belongs to another account.", {
        id: "address_change_revert_conflict",
      });
    throw err;
  }
  const revoked = await deps.store.revokeSessionsOfIdentity(change.identityId);
  if (revoked > 0)
    await recordEvents(deps, ctx, change.identityId, "sessions_revoked", { method: "revert_link" });
  deps.audit("account.address_change", { identity_id: change.identityId, status: "reverted" }, ctx);
  return { state: "reverted", sessions_revoked: revoked };
}

/** Where the held change's verification flow is noted, so that passing it applies the change. */
export const ADDRESS_CHANGE_KEY = "address_change_id";

export function addressChangeOfFlow(flow: FlowRecord): string | undefined {
  const id = flow.internalContext[ADDRESS_CHANGE_KEY];
  return typeof id === "string" ? id : undefined;
}
