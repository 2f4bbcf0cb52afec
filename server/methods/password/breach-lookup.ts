/**
 * How often a password appears in known data breaches, asked of the Have I Been Pwned "range"
 * API with k-anonymity (contract §13, check 3): only the first 5 hex digits of the password's
 * SHA-1 leave the server, and the answer lists every known suffix under that prefix with its count.
 */
import type { Clock } from "../../clock.ts";
import { errors } from "../../request/errors.ts";

export interface BreachLookupOptions {
  /**
   * `haveibeenpwned_host`. Kratos always builds `https://<host>/range/<prefix>`; a value that
   * already carries a scheme (`http://127.0.0.1:4010`) is used as the base URL as it is, which is
   * how tests and air-gapped mirrors point the check at a local server.
   */
  host: string;
  ignoreNetworkErrors: boolean;
  clock: Clock;
  fetch?: typeof fetch;
}

export interface BreachLookup {
  /** Breach count for the password; 0 when it is unknown, or when the API could not be asked and
   * network errors are ignored. Throws HttpError 502 otherwise. */
  count(password: string): Promise<number>;
}

/** One answer is trusted for an hour, as in Kratos. */
export const BREACH_CACHE_TTL_MS = 60 * 60 * 1000;
/** Connect plus response, as Kratos's 1 s client timeout. */
const REQUEST_TIMEOUT_MS = 1000;
/**
 * Each cached answer holds ~900 suffixes (~90 KB). Prefixes are spread evenly over a million
 * values, so the cache pays off for the same password checked twice within the hour (a resubmitted
 * form, registration then settings), hardly ever for a neighbour; a small bound loses nothing.
 */
export const MAX_CACHED_PREFIXES = 256;

interface CachedRange {
  expiresAt: number;
  /** Upper-case 35-digit suffix -> breach count. A suffix absent here has count 0. */
  counts: ReadonlyMap<string, number>;
}

type FailureKind = "network" | "status" | "malformed";

/** Why the API gave no usable answer; only network and status failures may be ignored (Kratos). */
class RangeFetchFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function createBreachLookup(options: BreachLookupOptions): BreachLookup {
  const fetchRange = rangeFetcher(rangeBaseUrl(options.host), options.fetch ?? fetch);
  // Keyed by prefix: one answer covers every password under that prefix, so the hash looked up
  // and every suffix listed are cached together. Insertion order is expiry order (constant TTL).
  const cache = new Map<string, CachedRange>();
  // Concurrent checks of passwords under one prefix share one request.
  const pending = new Map<string, Promise<ReadonlyMap<string, number>>>();

  function cachedCounts(prefix: string, now: number): ReadonlyMap<string, number> | undefined {
    const entry = cache.get(prefix);
    if (entry && entry.expiresAt > now) return entry.counts;
    if (entry) cache.delete(prefix);
    return undefined;
  }

  function remember(prefix: string, counts: ReadonlyMap<string, number>): void {
    const now = options.clock.now().getTime();
    for (const [oldest, entry] of cache) {
      if (entry.expiresAt > now && cache.size < MAX_CACHED_PREFIXES) break;
      cache.delete(oldest);
    }
    cache.delete(prefix);
    cache.set(prefix, { expiresAt: now + BREACH_CACHE_TTL_MS, counts });
  }

  function countsFor(prefix: string): Promise<ReadonlyMap<string, number>> {
    let request = pending.get(prefix);
    if (!request) {
      request = fetchRange(prefix)
        .then((counts) => {
          remember(prefix, counts);
          return counts;
        })
        .finally(() => pending.delete(prefix));
      pending.set(prefix, request);
    }
    return request;
  }

  return {
    async count(password) {
      const hash = await sha1UpperHex(password);
      const prefix = hash.slice(0, 5);
      const suffix = hash.slice(5);
      try {
        const counts = cachedCounts(prefix, options.clock.now().getTime()) ?? (await countsFor(prefix));
        return counts.get(suffix) ?? 0;
      } catch (error) {
        if (!(error instanceof RangeFetchFailure)) throw error;
        if (error.kind !== "malformed" && options.ignoreNetworkErrors) return 0;
        throw errors.upstream(error.reason, "Leaked password server unavailable");
      }
    },
  };
}

function rangeBaseUrl(host: string): string {
  const base = /^https?:\/\//i.test(host) ? host : `https://${host}`;
  return base.replace(/\/+$/, "");
}

function rangeFetcher(baseUrl: string, fetchImpl: typeof fetch) {
  return async (prefix: string): Promise<ReadonlyMap<string, number>> => {
    // One signal for the whole exchange, so a server that stalls mid-body is cut off too.
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}/range/${prefix}`, { signal });
    } catch {
      throw networkFailure();
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new RangeFetchFailure("status", "Unexpected status code from haveibeenpwned.com");
    }
    let body: string;
    try {
      body = await response.text();
    } catch {
      throw networkFailure();
    }
    return parseRangeBody(body);
  };
}

function networkFailure(): RangeFetchFailure {
  return new RangeFetchFailure(
    "network",
    "Unable to check if password has been leaked because an unexpected network error occurred.",
  );
}

const INTEGER = /^[+-]?\d+$/;

/**
 * Lines are `SUFFIX:COUNT`; COUNT may carry thousands separators ("1,234"), and a line without a
 * colon counts once. A count that is not an integer makes the whole answer unusable.
 */
function parseRangeBody(body: string): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const rawLine of body.split("\n")) {
    const line = rawLine.trim();
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon === -1) {
      counts.set(line.toUpperCase(), 1);
      continue;
    }
    const countText = line
      .slice(colon + 1)
      .trim()
      .replaceAll(",", "");
    if (!INTEGER.test(countText)) {
      throw new RangeFetchFailure(
        "malformed",
        `Expected password hash to contain a count formatted as int but got: ${line.slice(colon + 1).trim()}`,
      );
    }
    counts.set(line.slice(0, colon).trim().toUpperCase(), Number(countText));
  }
  return counts;
}

async function sha1UpperHex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex.toUpperCase();
}
