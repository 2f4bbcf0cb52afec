/** Parses a Cookie header into name -> value (first occurrence wins, as browsers send most specific first). */
export function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out.set(name, value.includes("%") ? decodeURIComponent(value) : value);
    } catch {
      out.set(name, value);
    }
  }
  return out;
}

export interface CookieOptions {
  path?: string;
  domain?: string;
  maxAge?: number;
  expires?: Date;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "Strict" | "Lax" | "None";
}

export function serializeCookie(name: string, value: string, opts: CookieOptions = {}): string {
  // Base64 tokens are valid cookie octets; Kratos sends them verbatim, so only escape what must be.
  const safe = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/.test(value);
  let out = `${name}=${safe ? value : encodeURIComponent(value)}`;
  if (opts.path) out += `; Path=${opts.path}`;
  if (opts.domain) out += `; Domain=${opts.domain}`;
  if (opts.expires) out += `; Expires=${opts.expires.toUTCString()}`;
  if (opts.maxAge !== undefined) out += `; Max-Age=${Math.trunc(opts.maxAge)}`;
  if (opts.httpOnly) out += "; HttpOnly";
  if (opts.secure) out += "; Secure";
  if (opts.sameSite) out += `; SameSite=${opts.sameSite}`;
  return out;
}
