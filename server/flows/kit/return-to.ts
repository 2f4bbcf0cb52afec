import { errors } from "../../request/errors.ts";

interface AllowEntry {
  scheme: string;
  host: string;
  wildcard: boolean;
  path: string;
}

/** Wildcards Kratos drops as unsafe: "*", "*foo.com", "*.com", "foo.*.com". */
function parseEntry(raw: string): AllowEntry | undefined {
  if (!URL.canParse(raw.replace("*.", "wildcard-placeholder."))) return undefined;
  const u = new URL(raw.replace("*.", "wildcard-placeholder."));
  let host = u.host.toLowerCase();
  const wildcard = host.startsWith("wildcard-placeholder.");
  if (wildcard) {
    host = host.slice("wildcard-placeholder".length);
    if (host.split(".").filter(Boolean).length < 2) return undefined;
  }
  if (host.includes("*")) return undefined;
  return { scheme: u.protocol.toLowerCase(), host, wildcard, path: u.pathname || "/" };
}

/**
 * Validates `return_to` against `selfservice.allowed_return_urls` plus `<public>/self-service` and
 * `<public>/ui/`
 * (contract §11.4). Relative values inherit scheme and host from `fallback`. Returns the absolute URL.
 */
export class ReturnToPolicy {
  readonly #entries: AllowEntry[];

  constructor(
    allowed: readonly string[],
    publicBase: string,
    private readonly fallback: string,
  ) {
    // The built-in pages (/ui/) are this server's own, like /self-service: an account page can ask
    // for a refresh login and come back to itself.
    this.#entries = [
      ...allowed,
      new URL("self-service", publicBase).toString(),
      new URL("ui/", publicBase).toString(),
    ]
      .map(parseEntry)
      .filter((e): e is AllowEntry => e !== undefined);
  }

  validate(returnTo: string): string {
    let target: URL;
    try {
      target = new URL(returnTo, this.fallback);
    } catch (err) {
      throw errors.returnToForbidden(
        `Unable to parse the return_to query parameter as an URL: ${(err as Error).message}`,
      );
    }
    const host = target.host.toLowerCase();
    const path = target.pathname || "/";
    const ok = this.#entries.some(
      (e) =>
        e.scheme === target.protocol.toLowerCase() &&
        (e.wildcard ? host.endsWith(e.host) : e.host === host) &&
        path.startsWith(e.path),
    );
    if (!ok) {
      throw errors.returnToForbidden(`Requested return_to URL "${returnTo}" is not allowed.`);
    }
    return target.toString();
  }

  /** Validates the `return_to` query parameter of a URL if present. */
  fromUrl(url: URL): string | undefined {
    const value = url.searchParams.get("return_to");
    return value ? this.validate(value) : undefined;
  }
}
