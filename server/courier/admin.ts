import type { CourierDispatchRecord, CourierMessageRecord } from "../../db/store.ts";
import type { AppDeps } from "../deps.ts";
import { errors } from "../request/errors.ts";

/**
 * The admin view of the courier queue (Kratos's `GET /admin/courier/messages[/{id}]`), shared by
 * the REST routes and tRPC. Messages are listed newest first with an opaque keyset page token.
 * As in Kratos, subject and body are shown only in dev mode (`dev: true`); otherwise they read
 * `<redacted-unless-dev-mode>`, because they hold codes and links that sign a person in.
 */

/** Kratos's `message` schema. */
export interface CourierMessageJson {
  id: string;
  status: CourierMessageRecord["status"];
  type: CourierMessageRecord["type"];
  recipient: string;
  body: string;
  subject: string;
  template_type: string;
  channel: string;
  send_count: number;
  created_at: string;
  updated_at: string;
  dispatches?: CourierDispatchJson[];
}

/** Kratos's `messageDispatch` schema. */
export interface CourierDispatchJson {
  id: string;
  message_id: string;
  status: CourierDispatchRecord["status"];
  error?: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface CourierMessagePage {
  messages: CourierMessageJson[];
  nextPageToken?: string;
}

export interface ListCourierMessagesInput {
  status?: string | undefined;
  recipient?: string | undefined;
  pageSize?: number | undefined;
  pageToken?: string | undefined;
}

/** Kratos's courier list defaults to 10 per page (its paginator's default for this list). */
export const DEFAULT_COURIER_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 1000;
const REDACTED = "<redacted-unless-dev-mode>";
const STATUSES: readonly string[] = ["queued", "sent", "processing", "abandoned"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listCourierMessages(
  deps: AppDeps,
  input: ListCourierMessagesInput,
): Promise<CourierMessagePage> {
  if (input.status !== undefined && !STATUSES.includes(input.status)) {
    throw errors.badRequest("Message status is not valid");
  }
  const pageSize = pageSizeOf(input.pageSize);
  const after = input.pageToken ? decodePageToken(input.pageToken) : undefined;
  const rows = await deps.store.pageMessages({
    pageSize,
    ...(input.status !== undefined ? { status: input.status as CourierMessageRecord["status"] } : {}),
    ...(input.recipient ? { recipient: input.recipient } : {}),
    ...(after ? { after } : {}),
  });
  const items = rows.slice(0, pageSize);
  const last = items[items.length - 1];
  const redact = !deps.config.raw.dev;
  return {
    messages: items.map((m) => messageToJson(m, undefined, redact)),
    ...(rows.length > pageSize && last ? { nextPageToken: encodePageToken(last) } : {}),
  };
}

export async function getCourierMessage(deps: AppDeps, id: string): Promise<CourierMessageJson> {
  if (!UUID.test(id)) {
    // gofrs/uuid's parse errors, which Kratos answers with.
    throw errors.badRequest(`could not parse parameter {id} as UUID, got ${id}`, {
      message:
        id.length === 36 || id.length === 32
          ? `uuid: incorrect UUID format in string ${JSON.stringify(id)}`
          : `uuid: incorrect UUID length ${Buffer.byteLength(id)} in string ${JSON.stringify(id)}`,
    });
  }
  const message = await deps.store.getMessage(id.toLowerCase());
  if (!message) throw errors.notFound();
  const dispatches = await deps.store.listDispatches(message.id);
  return messageToJson(message, dispatches, !deps.config.raw.dev);
}

function pageSizeOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_COURIER_PAGE_SIZE;
  if (!Number.isInteger(value) || value < 1)
    throw errors.badRequest("The page size must be a positive integer.");
  return Math.min(value, MAX_PAGE_SIZE);
}

/** The cursor is the last message shown: its creation time and id, base64url-encoded. */
function encodePageToken(message: CourierMessageRecord): string {
  return Buffer.from(JSON.stringify({ c: message.createdAt.getTime(), i: message.id })).toString("base64url");
}

function decodePageToken(token: string): { createdAt: Date; id: string } {
  const invalid = () => errors.badRequest("The page token is invalid. Start again from the first page.");
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const { c, i } = (parsed ?? {}) as { c?: unknown; i?: unknown };
  if (typeof c !== "number" || !Number.isSafeInteger(c) || typeof i !== "string" || !UUID.test(i))
    throw invalid();
  return { createdAt: new Date(c), id: i };
}

export function messageToJson(
  message: CourierMessageRecord,
  dispatches: CourierDispatchRecord[] | undefined,
  redact: boolean,
): CourierMessageJson {
  return {
    id: message.id,
    status: message.status,
    type: message.type,
    recipient: message.recipient,
    body: redact ? REDACTED : message.body,
    subject: redact ? REDACTED : message.subject,
    template_type: message.templateType,
    channel: message.type === "email" ? "email" : "sms",
    send_count: message.sendCount,
    created_at: message.createdAt.toISOString(),
    updated_at: message.updatedAt.toISOString(),
    // Kratos leaves the list out when there are no attempts (omitempty).
    ...(dispatches && dispatches.length > 0 ? { dispatches: dispatches.map(dispatchToJson) } : {}),
  };
}

function dispatchToJson(dispatch: CourierDispatchRecord): CourierDispatchJson {
  return {
    id: dispatch.id,
    message_id: dispatch.messageId,
    status: dispatch.status,
    ...(dispatch.error ? { error: dispatch.error } : {}),
    created_at: dispatch.createdAt.toISOString(),
    updated_at: dispatch.updatedAt.toISOString(),
  };
}
