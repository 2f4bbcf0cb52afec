import { randomUUID } from "node:crypto";
import type { SecurityEventRecord } from "../../db/store.ts";
import type { AppDeps } from "../deps.ts";
import { clientAddress } from "../request/client.ts";
import type { RequestContext } from "../request/context.ts";
import { toRfc3339 } from "../time.ts";

/**
 * A person's security history (docs/account-features.md): sign-ups, sign-ins (and failed ones),
 * settings changes by method, sessions revoked. Written in the same transaction as the change it
 * records where there is one (identity writes, new sessions). Only a coarse network and client
 * are kept: enough for "was that me?", not a tracking record.
 */

export type SecurityEventType =
  | "registration"
  | "login"
  | "login_failed"
  | "settings"
  | "session_revoked"
  | "sessions_revoked"
  | "deletion_requested"
  | "deletion_cancelled"
  | "address_change_requested"
  | "address_change_cancelled"
  | "address_change_applied"
  | "address_change_reverted";

/** An IPv4 /24 or IPv6 /48: the neighbourhood, not the device. */
export function coarseNetwork(ip: string | undefined): string | null {
  if (!ip) return null;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/i.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (!ip.includes(":")) return null;
  const [head = ""] = ip.split("::");
  const groups = head.split(":").filter(Boolean);
  const full = ip.includes("::") ? [...groups, "0", "0", "0"] : ip.split(":");
  return `${full.slice(0, 3).join(":")}::/48`;
}

const BROWSERS: [RegExp, string][] = [
  [/Edg(?:e|A|iOS)?\//, "Edge"],
  [/OPR\/|Opera/, "Opera"],
  [/Firefox\/|FxiOS\//, "Firefox"],
  [/Chrome\/|CriOS\//, "Chrome"],
  [/Safari\//, "Safari"],
  [/^curl\//, "curl"],
  [/okhttp/i, "Android app"],
  [/CFNetwork|Darwin/, "Apple app"],
  [/node|undici/i, "Node.js"],
];
const SYSTEMS: [RegExp, string][] = [
  [/Windows/, "Windows"],
  [/iPhone|iPad|iOS/, "iOS"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/Android/, "Android"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

/** "Firefox on Linux": the family and system of a User-Agent, never the raw header. */
export function coarseClient(userAgent: string | undefined | null): string | null {
  if (!userAgent) return null;
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1] ?? "Other client";
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1];
  return system ? `${browser} on ${system}` : browser;
}

let lastMs = -1;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): time first, then a per-process sequence, so entries with the same timestamp
 * list in the order they were recorded (the history sorts by time, then id).
 */
function eventId(at: Date): string {
  const ms = at.getTime();
  sequence = ms === lastMs ? (sequence + 1) & 0xfff : 0;
  lastMs = ms;
  const hex = ms.toString(16).padStart(12, "0");
  // A v4 UUID's last two groups are the variant (10xx) and 62 random bits, from node's pooled
  // randomness: cheaper than drawing eight bytes per event.
  const random = randomUUID();
  const seq = sequence.toString(16).padStart(3, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7${seq}-${random.slice(19)}`;
}

export function securityEvent(
  deps: Pick<AppDeps, "clock">,
  ctx: RequestContext | undefined,
  identityId: string,
  type: SecurityEventType,
  opts: { method?: string; outcome?: "success" | "failure" } = {},
): SecurityEventRecord {
  const createdAt = deps.clock.now();
  return {
    id: eventId(createdAt),
    identityId,
    type,
    method: opts.method ?? null,
    outcome: opts.outcome ?? "success",
    network: ctx ? coarseNetwork(clientAddress(ctx.req)) : null,
    client: ctx ? coarseClient(ctx.req.headers.get("user-agent")) : null,
    createdAt,
  };
}

/** Whether history is kept (`account.history.enabled`, on by default). */
export function historyEnabled(deps: Pick<AppDeps, "config">): boolean {
  return deps.config.raw.account.history.enabled;
}

/** The events to record with a change: none when history is off. */
export function eventsFor(
  deps: Pick<AppDeps, "clock" | "config">,
  ctx: RequestContext | undefined,
  identityId: string,
  type: SecurityEventType,
  opts: { method?: string; outcome?: "success" | "failure" } = {},
): SecurityEventRecord[] {
  return historyEnabled(deps) ? [securityEvent(deps, ctx, identityId, type, opts)] : [];
}

/** Records events that go with no other write (a failed sign-in, a revocation). */
export async function recordEvents(
  deps: Pick<AppDeps, "clock" | "config" | "store">,
  ctx: RequestContext | undefined,
  identityId: string,
  type: SecurityEventType,
  opts: { method?: string; outcome?: "success" | "failure" } = {},
): Promise<void> {
  const events = eventsFor(deps, ctx, identityId, type, opts);
  if (events.length > 0) await deps.store.recordSecurityEvents(events);
}

/** The wire shape of one entry (`GET /self-service/account/history`). */
export function securityEventJson(event: SecurityEventRecord) {
  return {
    id: event.id,
    type: event.type,
    method: event.method,
    outcome: event.outcome,
    network: event.network,
    client: event.client,
    created_at: toRfc3339(event.createdAt),
  };
}

export type SecurityEventJson = ReturnType<typeof securityEventJson>;

/** One page of an identity's history, newest first, within the retention window. */
export async function historyPage(
  deps: Pick<AppDeps, "store" | "clock" | "config">,
  identityId: string,
  query: { limit: number; before?: Date },
): Promise<SecurityEventJson[]> {
  const cutoff = deps.clock.now().getTime() - deps.config.ms.historyRetention;
  const events = await deps.store.listSecurityEvents(identityId, query);
  return events.filter((e) => e.createdAt.getTime() >= cutoff).map(securityEventJson);
}
