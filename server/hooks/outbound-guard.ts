import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * `clients.http.disallow_private_ip_ranges` (Kratos's SSRF guard for web hooks): a call is refused
 * when its host is, or resolves to, a loopback, private, shared, link-local (cloud metadata lives
 * at 169.254.169.254 and fd00:ec2::254), multicast or otherwise reserved address — every address
 * the name resolves to must be public. URLs listed in `clients.http.private_ip_exception_urls` are
 * called anyway (exact, case-sensitive match, as Kratos).
 *
 * The check runs twice: on the addresses DNS gives right before the call (a clear refusal, and
 * the only check for an address written in the URL), and on the addresses the connection itself
 * resolves (`guardedDispatcher`), so a name whose answer changes between the two lookups (DNS
 * rebinding) is refused too rather than connected to.
 */

const blocked = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  blocked.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["100::", 64],
  ["2001:db8::", 32],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  blocked.addSubnet(network, prefix, "ipv6");
}

export interface AddressPolicy {
  disallowPrivate: boolean;
  exceptionUrls: readonly string[];
}

export type Lookup = (hostname: string) => Promise<readonly string[]>;

const systemLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** Whether an IP address is one the guard refuses. */
export function isDisallowedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, "ipv4");
  return blocked.check(address, "ipv6");
}

/** Thrown (before any connection) for a target the guard refuses; web hooks answer 502. */
export class ProhibitedAddressError extends Error {
  readonly code = "ERR_PROHIBITED_ADDRESS";
  constructor(readonly address: string) {
    super(`prohibited IP address: ${address} is not a permitted destination`);
    this.name = "ProhibitedAddressError";
  }
}

/** Refuses `url` under the policy; resolves when the call may go ahead. */
export async function assertPermittedTarget(
  url: string,
  policy: AddressPolicy | undefined,
  lookup: Lookup = systemLookup,
): Promise<void> {
  if (!policy?.disallowPrivate || policy.exceptionUrls.includes(url)) return;
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  const addresses = isIP(host) ? [host] : await lookup(host);
  const refused = addresses.find(isDisallowedAddress);
  if (refused !== undefined || addresses.length === 0) throw new ProhibitedAddressError(refused ?? host);
}

/**
 * A dispatcher for fetch (`init.dispatcher`) whose connections resolve names through `lookup` and
 * connect only when every address is permitted: the addresses checked are the ones connected to.
 */
export async function guardedDispatcher(lookup: Lookup = systemLookup): Promise<object> {
  // Loaded on first use: most servers never call a guarded web hook, and undici is a large module.
  const { Agent } = await import("undici");
  // net's `lookup` option: with `all` the callback takes every address, otherwise the first.
  const guarded: LookupFunction = (hostname, options, callback) => {
    lookup(hostname).then(
      (addresses) => {
        const refused = addresses.find(isDisallowedAddress);
        if (refused !== undefined || addresses.length === 0)
          return callback(new ProhibitedAddressError(refused ?? hostname), "", 0);
        if (options.all)
          return callback(
            null,
            addresses.map((address) => ({ address, family: isIP(address) })),
          );
        callback(null, addresses[0]!, isIP(addresses[0]!));
      },
      (err: NodeJS.ErrnoException) => callback(err, "", 0),
    );
  };
  return new Agent({ connect: { lookup: guarded } });
}

/** Whether `err` (or what caused it: fetch wraps connection errors) is the guard's refusal. */
export function isProhibited(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof ProhibitedAddressError) return true;
  return false;
}
