import { type FormValues, formDataToValues, parseFormBody } from "../decoding/form-values.ts";
import { HttpError } from "./errors.ts";

/** Kratos caps request bodies at 5 MiB (contract §0.3). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export type { FormValues };

export type ParsedBody = { kind: "json"; value: unknown } | { kind: "form"; values: FormValues };

const SUPPORTED = "[multipart/form-data application/x-www-form-urlencoded application/json]";

function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

const ABANDONED = Symbol("tessera.bodyAbandoned");

/**
 * Whether a body was refused part-way (over the limit). The rest of it is still on the wire, so the
 * connection cannot be reused: the response must say `Connection: close` (as Go's server does after
 * a MaxBytesReader error), or a keep-alive client and the listener's shutdown may wait on it forever.
 */
export function bodyAbandoned(req: Request): boolean {
  return (req as unknown as Record<symbol, unknown>)[ABANDONED] === true;
}

function abandon(req: Request, limit: number): HttpError {
  (req as unknown as Record<symbol, unknown>)[ABANDONED] = true;
  return tooLarge(limit);
}

async function readLimited(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw abandon(req, limit);
  if (!req.body) return new Uint8Array(new ArrayBuffer(0));
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw abandon(req, limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(400, {
    reason: `Unable to decode HTTP Request Body because it exceeds the maximum allowed size of ${limit} bytes.`,
  });
}

/**
 * Reads and decodes a request body the way Kratos's form/JSON decoder does: JSON, urlencoded or
 * multipart; anything else, an empty body, malformed JSON or an oversized body is a 400 whose
 * reason says what was wrong (flows render it as message 4000001).
 */
export async function readBody(req: Request, limit = MAX_BODY_BYTES): Promise<ParsedBody> {
  const type = mediaType(req);
  const known =
    type === "application/json" ||
    type === "application/x-www-form-urlencoded" ||
    type === "multipart/form-data";
  if (!known) {
    const header = req.headers.get("content-type") ?? "";
    throw new HttpError(400, {
      reason: `HTTP ${req.method} Request used unknown HTTP Header "Content-Type: ${header}", only ${SUPPORTED} are supported.`,
    });
  }
  const bytes = await readLimited(req, limit);
  if (bytes.byteLength === 0) {
    throw new HttpError(400, {
      reason: 'Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.',
    });
  }
  if (type === "application/json") {
    try {
      return { kind: "json", value: JSON.parse(new TextDecoder().decode(bytes)) };
    } catch (err) {
      throw new HttpError(400, { reason: `Unable to decode JSON payload: ${(err as Error).message}` });
    }
  }
  if (type === "application/x-www-form-urlencoded") {
    return {
      kind: "form",
      values: parseFormBody(new TextDecoder().decode(bytes)),
    };
  }
  try {
    const fd = await new Response(bytes, {
      headers: { "content-type": req.headers.get("content-type")! },
    }).formData();
    return { kind: "form", values: formDataToValues(fd) };
  } catch (err) {
    throw new HttpError(400, { reason: `Unable to decode multipart form: ${(err as Error).message}` });
  }
}

/** Reads a strict JSON body for admin APIs: only application/json is accepted. */
export async function readJsonBody(req: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  if (mediaType(req) !== "application/json") {
    throw new HttpError(400, {
      reason: `Unable to decode body because the Content-Type "${req.headers.get("content-type") ?? ""}" is not application/json.`,
    });
  }
  const body = await readBody(req, limit);
  return body.kind === "json" ? body.value : undefined;
}
