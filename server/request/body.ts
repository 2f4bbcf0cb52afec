import { type FormValues, formDataToValues, parseFormBody } from "../decoding/form-values.ts";
import { jsonTextBoundsError, MAX_JSON_KEYS } from "../decoding/json-bounds.ts";
import { errors, type HttpError } from "./errors.ts";

/** Kratos caps request bodies at 5 MiB (contract §0.3). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export type { FormValues };

export type ParsedBody = { kind: "json"; value: unknown } | { kind: "form"; values: FormValues };

const SUPPORTED = "[multipart/form-data application/x-www-form-urlencoded application/json]";

function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

const ABANDONED = Symbol("tessera.bodyAbandoned");
const ABORTED = Symbol("tessera.bodyAborted");

/**
 * How much of an oversized body is read and thrown away, counted from its start. A client still
 * uploading when the socket closes gets a reset instead of the 400 (the unread bytes make the kernel
 * send RST, which discards the answer in the client's buffer); draining lets it read the answer, and
 * the connection stays usable. Past this bound the upload is cut off, so a hostile client cannot make
 * us read forever.
 */
export const DRAIN_BYTES = 2 * MAX_BODY_BYTES;

function mark(req: Request, flag: symbol) {
  (req as unknown as Record<symbol, unknown>)[flag] = true;
}

function marked(req: Request, flag: symbol): boolean {
  return (req as unknown as Record<symbol, unknown>)[flag] === true;
}

/**
 * Whether a body was refused without being drained (declared beyond the drain bound). The rest of it
 * is still on the wire, so the connection cannot be reused: the response must say `Connection: close`
 * (as Go's server does after a MaxBytesReader error), or a keep-alive client and the listener's
 * shutdown may wait on it forever.
 */
export function bodyAbandoned(req: Request): boolean {
  return marked(req, ABANDONED);
}

/** Whether the client went away while its body was being read (nobody is left to answer). */
export function bodyAborted(req: Request): boolean {
  return marked(req, ABORTED);
}

/** The connection broke mid-body: a client's doing, answered (to nobody) as a 400, never a 500. */
function aborted(req: Request): HttpError {
  mark(req, ABORTED);
  return errors.badRequest("Unable to decode HTTP Request Body because the client closed the connection.");
}

/** What reading a body needs of a stream reader: the web one, or the Node request's iterator. */
interface ChunkReader {
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  cancel(): Promise<unknown>;
}

/**
 * The Node request behind a web Request, when the listener registered it (server/listen.ts).
 * Reading the body from it directly skips building the web stream over it (a Request, a
 * ReadableStream and its adapter per POST: about a tenth of a small POST's CPU). The bounds, the
 * drain and the abort handling below are the same for both.
 */
const nodeRequests = new WeakMap<Request, AsyncIterable<Uint8Array>>();

export function registerNodeRequest(req: Request, incoming: AsyncIterable<Uint8Array>): void {
  nodeRequests.set(req, incoming);
}

function readerOf(req: Request): ChunkReader | undefined {
  const incoming = nodeRequests.get(req);
  if (incoming) {
    nodeRequests.delete(req);
    const iterator = incoming[Symbol.asyncIterator]();
    return {
      read: () => iterator.next() as ReturnType<ChunkReader["read"]>,
      // Ending the iteration early destroys the request stream, which closes the connection, as
      // cancelling the web stream does.
      cancel: async () => iterator.return?.(),
    };
  }
  return req.body?.getReader() as ChunkReader | undefined;
}

async function readChunk(req: Request, reader: ChunkReader): ReturnType<ChunkReader["read"]> {
  try {
    return await reader.read();
  } catch {
    throw aborted(req);
  }
}

/**
 * Reads and discards the rest of an oversized body, up to DRAIN_BYTES in all, while the 400 is
 * already on its way: the answer is not held back (a client that declared more than it sends would
 * otherwise wait for it forever). Past the bound the stream is cancelled, which closes the connection.
 */
function drainInBackground(reader: ChunkReader, read: number) {
  void (async () => {
    let total = read;
    while (total <= DRAIN_BYTES) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
    }
    await reader.cancel();
  })().catch(() => {});
}

async function readLimited(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > DRAIN_BYTES) {
    mark(req, ABANDONED);
    throw tooLarge(limit);
  }
  const reader = readerOf(req);
  if (!reader) return new Uint8Array(new ArrayBuffer(0));
  if (declared > limit) {
    drainInBackground(reader, 0);
    throw tooLarge(limit);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await readChunk(req, reader);
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      drainInBackground(reader, total);
      throw tooLarge(limit);
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
  return errors.badRequest(
    `Unable to decode HTTP Request Body because it exceeds the maximum allowed size of ${limit} bytes.`,
  );
}

/** JSON.parse after the bounds check (json-bounds.ts), so nothing recursive sees a hostile shape. */
function parseBoundedJson(text: string): unknown {
  const refused = jsonTextBoundsError(text);
  if (refused) throw errors.badRequest(refused);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`Unable to decode JSON payload: ${(err as Error).message}`);
  }
}

/** Form bodies are flat, but a million repeated keys is still work nobody asked for. */
function boundedForm(values: FormValues): FormValues {
  let count = 0;
  for (const list of values.values()) count += list.length;
  if (count > MAX_JSON_KEYS) {
    throw errors.badRequest(
      `Unable to decode HTTP Request Body because it has more than the maximum allowed ${MAX_JSON_KEYS} form fields.`,
    );
  }
  return values;
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
    throw errors.badRequest(
      `HTTP ${req.method} Request used unknown HTTP Header "Content-Type: ${header}", only ${SUPPORTED} are supported.`,
    );
  }
  const bytes = await readLimited(req, limit);
  if (bytes.byteLength === 0) {
    throw errors.badRequest(
      'Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.',
    );
  }
  if (type === "application/json") {
    return { kind: "json", value: parseBoundedJson(new TextDecoder().decode(bytes)) };
  }
  if (type === "application/x-www-form-urlencoded") {
    return {
      kind: "form",
      values: boundedForm(parseFormBody(new TextDecoder().decode(bytes))),
    };
  }
  let fd: FormData;
  try {
    fd = await new Response(bytes, {
      headers: { "content-type": req.headers.get("content-type")! },
    }).formData();
  } catch (err) {
    throw errors.badRequest(`Unable to decode multipart form: ${(err as Error).message}`);
  }
  return { kind: "form", values: boundedForm(formDataToValues(fd)) };
}

/** Reads a strict JSON body for admin APIs: only application/json is accepted. */
export async function readJsonBody(req: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  if (mediaType(req) !== "application/json") {
    throw errors.badRequest(
      `Unable to decode body because the Content-Type "${req.headers.get("content-type") ?? ""}" is not application/json.`,
    );
  }
  const body = await readBody(req, limit);
  return body.kind === "json" ? body.value : undefined;
}

/**
 * The request as tRPC's fetch adapter should see it: tRPC reads POST bodies with `req.text()` and
 * parses them itself, with no size limit and no depth bound. This view answers `text()` with the
 * body read under the same limit and checked by the same bounds as every other JSON body; an
 * HttpError it throws reaches the procedure middleware, which turns it into a tRPC BAD_REQUEST.
 */
export function boundedJsonRequest(req: Request, limit = MAX_BODY_BYTES): Request {
  const text = async () => {
    const bytes = await readLimited(req, limit);
    const body = new TextDecoder().decode(bytes);
    if (body !== "") parseBoundedJson(body);
    return body;
  };
  return new Proxy(req, {
    get(target, prop) {
      if (prop === "text") return text;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
