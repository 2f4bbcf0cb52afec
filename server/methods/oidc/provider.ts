import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import type { ResolvedConfig } from "../../config/resolve.ts";
import type { AppDeps } from "../../deps.ts";

/**
 * OpenID Connect and OAuth 2 providers as Kratos configures them
 * (`selfservice.methods.oidc.config.providers[]`). OpenID providers are found by discovery — the
 * `generic` kind from `issuer_url`, the presets (google, microsoft, gitlab, …) from their well-known
 * issuer — and `github` is plain OAuth 2 plus GitHub's user and emails API. Every endpoint can be
 * overridden (`issuer_url`, `auth_url`, `token_url`, `userinfo_url`, `api_url`), which is how tests
 * point a provider at loopback.
 */

export type ProviderConfig =
  ResolvedConfig["raw"]["selfservice"]["methods"]["oidc"]["config"]["providers"][number];

/** A failure talking to the provider or checking what it sent; the message is shown in the flow. */
export class ProviderError extends Error {}

/** The issuer each OpenID preset discovers from when `issuer_url` is not set. */
const PRESET_ISSUERS: Record<string, (p: ProviderConfig) => string> = {
  google: () => "https://accounts.google.com",
  microsoft: (p) => `https://login.microsoftonline.com/${p.microsoft_tenant ?? "common"}/v2.0`,
  apple: () => "https://appleid.apple.com",
  gitlab: () => "https://gitlab.com",
  salesforce: () => "https://login.salesforce.com",
  netid: () => "https://broker.netid.de",
  yandex: () => "https://login.yandex.ru",
  line: () => "https://access.line.me",
  amazon: () => "https://www.amazon.com",
};

/** Kinds whose issuer comes only from `issuer_url`. */
const ISSUER_REQUIRED = new Set(["generic", "auth0", "uaepass"]);

export function providers(config: ResolvedConfig): ProviderConfig[] {
  return config.raw.selfservice.methods.oidc.config.providers;
}

export function findProvider(config: ResolvedConfig, id: string | undefined): ProviderConfig | undefined {
  return id ? providers(config).find((p) => p.id === id) : undefined;
}

export const providerLabel = (p: ProviderConfig) => p.label ?? p.id;

export function redirectUri(config: ResolvedConfig, p: ProviderConfig): string {
  const base = config.raw.selfservice.methods.oidc.config.base_redirect_uri ?? config.publicBase;
  return new URL(`self-service/methods/oidc/callback/${encodeURIComponent(p.id)}`, base).toString();
}

interface Endpoints {
  issuer?: string;
  authorization: string;
  token: string;
  userinfo?: string;
  jwks?: string;
  pkceS256: boolean;
  openid: boolean;
}

interface Runtime {
  discovery: Map<string, Promise<Record<string, unknown>>>;
  jwks: Map<string, Promise<JSONWebKeySet>>;
}
const runtimes = new WeakMap<AppDeps, Runtime>();
function runtime(deps: AppDeps): Runtime {
  let r = runtimes.get(deps);
  if (!r) {
    r = { discovery: new Map(), jwks: new Map() };
    runtimes.set(deps, r);
  }
  return r;
}

async function getJson(deps: AppDeps, url: string, init: RequestInit = {}): Promise<unknown> {
  let res: Response;
  try {
    res = await deps.fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new ProviderError(
      `Unable to reach the OpenID Connect provider at ${url}: ${(err as Error).message}`,
    );
  }
  const text = await res.text();
  if (!res.ok)
    throw new ProviderError(
      `The OpenID Connect provider answered ${res.status} at ${url}: ${text.slice(0, 200)}`,
    );
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError(`The OpenID Connect provider did not answer with JSON at ${url}.`);
  }
}

/** Discovery documents are cached per app; a failed discovery is tried again next time. */
function discover(deps: AppDeps, issuer: string): Promise<Record<string, unknown>> {
  const cache = runtime(deps).discovery;
  let doc = cache.get(issuer);
  if (!doc) {
    const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    doc = getJson(deps, url).then((d) => {
      if (typeof d !== "object" || d === null) throw new ProviderError("Invalid discovery document.");
      return d as Record<string, unknown>;
    });
    doc.catch(() => cache.delete(issuer));
    cache.set(issuer, doc);
  }
  return doc;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

async function endpoints(deps: AppDeps, p: ProviderConfig): Promise<Endpoints> {
  if (p.provider === "github" || p.provider === "github-app") {
    return {
      authorization: p.auth_url ?? "https://github.com/login/oauth/authorize",
      token: p.token_url ?? "https://github.com/login/oauth/access_token",
      pkceS256: false,
      openid: false,
    };
  }
  const issuer = p.issuer_url ?? PRESET_ISSUERS[p.provider]?.(p);
  if (!issuer) {
    const why = ISSUER_REQUIRED.has(p.provider) ? "needs issuer_url" : "is not supported by Tessera";
    throw new ProviderError(`The OpenID Connect provider "${p.id}" (${p.provider}) ${why}.`);
  }
  const doc = await discover(deps, issuer);
  const authorization = p.auth_url ?? str(doc.authorization_endpoint);
  const token = p.token_url ?? str(doc.token_endpoint);
  if (!authorization || !token)
    throw new ProviderError(`The discovery document of "${p.id}" names no authorization or token endpoint.`);
  const methods = Array.isArray(doc.code_challenge_methods_supported)
    ? doc.code_challenge_methods_supported
    : [];
  const userinfo = p.userinfo_url ?? str(doc.userinfo_endpoint);
  const jwks = str(doc.jwks_uri);
  const discoveredIssuer = str(doc.issuer);
  return {
    ...(discoveredIssuer ? { issuer: discoveredIssuer } : {}),
    authorization,
    token,
    ...(userinfo ? { userinfo } : {}),
    ...(jwks ? { jwks } : {}),
    pkceS256: methods.includes("S256"),
    openid: true,
  };
}

/** Whether this round trip uses PKCE (`pkce: auto` follows the discovery document). */
export async function usesPkce(deps: AppDeps, p: ProviderConfig): Promise<boolean> {
  if (p.pkce === "force") return true;
  if (p.pkce === "never") return false;
  return (await endpoints(deps, p)).pkceS256;
}

export interface AuthRequest {
  state: string;
  nonce: string;
  pkceVerifier: string | undefined;
  upstream: Record<string, string>;
}

/** The provider's authorization URL (contract §7.2 step 5.4: only hd, prompt, acr_values pass). */
export async function authorizationUrl(deps: AppDeps, p: ProviderConfig, req: AuthRequest): Promise<string> {
  const ep = await endpoints(deps, p);
  const url = new URL(ep.authorization);
  url.searchParams.set("client_id", p.client_id);
  url.searchParams.set("redirect_uri", redirectUri(deps.config, p));
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", p.scope.join(" "));
  url.searchParams.set("state", req.state);
  if (ep.openid) url.searchParams.set("nonce", req.nonce);
  if (req.pkceVerifier) {
    url.searchParams.set("code_challenge", await s256(req.pkceVerifier));
    url.searchParams.set("code_challenge_method", "S256");
  }
  if (p.requested_claims) url.searchParams.set("claims", JSON.stringify(p.requested_claims));
  for (const key of ["hd", "prompt", "acr_values"]) {
    const v = req.upstream[key];
    if (v) url.searchParams.set(key, v);
  }
  return url.toString();
}

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return Buffer.from(digest).toString("base64url");
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  idToken: string;
}

/** What a provider says about the person, plus the claims the mapper sees. */
export interface ProviderClaims {
  subject: string;
  claims: Record<string, unknown>;
  tokens: Tokens;
}

/** Kratos's message for a token answer without an id_token. */
export const NO_ID_TOKEN =
  'Authentication failed because no id_token was returned. Please accept the "openid" permission and try again.';

/** Exchanges the authorization code and collects the claims (contract §7.3 steps 2–3). */
export async function exchangeCode(
  deps: AppDeps,
  p: ProviderConfig,
  code: string,
  pkceVerifier: string | undefined,
  nonce: string | undefined,
): Promise<ProviderClaims> {
  const ep = await endpoints(deps, p);
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri(deps.config, p),
  });
  if (pkceVerifier) form.set("code_verifier", pkceVerifier);
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  if (ep.openid) {
    headers.authorization = `Basic ${Buffer.from(
      `${encodeURIComponent(p.client_id)}:${encodeURIComponent(p.client_secret ?? "")}`,
    ).toString("base64")}`;
  } else {
    form.set("client_id", p.client_id);
    form.set("client_secret", p.client_secret ?? "");
  }
  const answer = (await getJson(deps, ep.token, {
    method: "POST",
    headers,
    body: form.toString(),
  })) as Record<string, unknown>;
  if (typeof answer.error === "string")
    throw new ProviderError(`The OpenID Connect provider refused the code: ${answer.error}`);
  const tokens: Tokens = {
    accessToken: str(answer.access_token) ?? "",
    refreshToken: str(answer.refresh_token) ?? "",
    idToken: str(answer.id_token) ?? "",
  };
  if (!ep.openid) return githubClaims(deps, p, tokens, str(answer.scope));
  if (!tokens.idToken) throw new ProviderError(NO_ID_TOKEN);
  const idClaims = await verifyIdToken(deps, p, tokens.idToken, nonce);
  let claims = idClaims;
  if (p.claims_source === "userinfo") {
    if (!ep.userinfo) throw new ProviderError(`The provider "${p.id}" has no userinfo endpoint.`);
    const info = (await getJson(deps, ep.userinfo, {
      headers: { authorization: `Bearer ${tokens.accessToken}`, accept: "application/json" },
    })) as Record<string, unknown>;
    if (info.sub !== idClaims.sub)
      throw new ProviderError("The userinfo subject does not match the id_token.");
    claims = { ...idClaims, ...info };
  }
  return { subject: String(claims.sub), claims: withRawClaims(claims), tokens };
}

/** Kratos hands the mapper its standard claims plus every claim under `raw_claims`. */
function withRawClaims(claims: Record<string, unknown>): Record<string, unknown> {
  return { ...claims, raw_claims: claims };
}

/**
 * Verifies an id_token: signature from the provider's JWKS, issuer, audience (client_id or an
 * `additional_id_token_audiences` entry), expiry, and the nonce when one is expected.
 */
export async function verifyIdToken(
  deps: AppDeps,
  p: ProviderConfig,
  idToken: string,
  nonce: string | undefined,
): Promise<Record<string, unknown>> {
  const ep = await endpoints(deps, p);
  if (!ep.jwks) throw new ProviderError(`The provider ${p.provider} does not support id_token verification`);
  const cache = runtime(deps).jwks;
  let keys = cache.get(ep.jwks);
  if (!keys) {
    keys = getJson(deps, ep.jwks) as Promise<JSONWebKeySet>;
    keys.catch(() => cache.delete(ep.jwks!));
    cache.set(ep.jwks, keys);
  }
  // Microsoft's multi-tenant issuer names the tenant, so it cannot be checked against "common".
  const checkIssuer =
    ep.issuer && !(p.provider === "microsoft" && (p.microsoft_tenant ?? "common") === "common");
  let payload: Record<string, unknown>;
  try {
    const verified = await jwtVerify(idToken, createLocalJWKSet(await keys), {
      audience: [p.client_id, ...p.additional_id_token_audiences],
      ...(checkIssuer ? { issuer: ep.issuer } : {}),
      currentDate: deps.clock.now(),
    });
    payload = verified.payload as Record<string, unknown>;
  } catch (err) {
    throw new ProviderError(`Could not verify id_token: ${(err as Error).message}`);
  }
  if (typeof payload.sub !== "string" || !payload.sub)
    throw new ProviderError("The id_token claims were invalid");
  if (nonce !== undefined) {
    if (payload.nonce === undefined)
      throw new ProviderError("No nonce was included in the id_token but is required by the provider");
    if (payload.nonce !== nonce)
      throw new ProviderError("The supplied nonce does not match the nonce from the id_token");
  }
  return payload;
}

/** Native sign-in: an id_token the app obtained itself, with the nonce it used (Kratos's `id_token`). */
export async function claimsFromIdToken(
  deps: AppDeps,
  p: ProviderConfig,
  idToken: string,
  nonce: string | undefined,
): Promise<ProviderClaims> {
  if (p.provider === "github" || p.provider === "github-app")
    throw new ProviderError(`The provider ${p.provider} does not support id_token verification`);
  if (!nonce) throw new ProviderError("No nonce was provided but is required by the provider");
  const claims = await verifyIdToken(deps, p, idToken, nonce);
  return {
    subject: String(claims.sub),
    claims: withRawClaims(claims),
    tokens: { accessToken: "", refreshToken: "", idToken },
  };
}

/**
 * GitHub (Kratos's provider_github.go): every configured scope must have been granted (GitHub lists
 * the granted ones comma-separated in the token answer), the user API gives the subject and profile,
 * and with `user:email` granted the emails API gives the primary address, verified as GitHub says.
 */
async function githubClaims(
  deps: AppDeps,
  p: ProviderConfig,
  tokens: Tokens,
  grantedScope: string | undefined,
): Promise<ProviderClaims> {
  if (!tokens.accessToken) throw new ProviderError("GitHub returned no access token.");
  const granted = (grantedScope ?? "").split(",").map((s) => s.trim());
  if (p.scope.some((s) => !granted.includes(s)))
    throw new ProviderError(
      "Unable to finish because one or more permissions were not granted. Please retry and accept all permissions.",
    );
  const api = (p.api_url ?? "https://api.github.com/").replace(/\/?$/, "/");
  const headers = { authorization: `Bearer ${tokens.accessToken}`, accept: "application/vnd.github+json" };
  const user = (await getJson(deps, new URL("user", api).toString(), { headers })) as Record<string, unknown>;
  if (typeof user.id !== "number" && typeof user.id !== "string")
    throw new ProviderError("GitHub returned a user without an id.");
  const updated = typeof user.updated_at === "string" ? Date.parse(user.updated_at) : Number.NaN;
  const claims: Record<string, unknown> = {
    iss: "https://github.com/login/oauth/access_token",
    sub: String(user.id),
    name: user.name,
    nickname: user.login,
    website: user.blog || undefined,
    picture: user.avatar_url,
    profile: user.html_url,
    ...(Number.isNaN(updated) ? {} : { updated_at: Math.floor(updated / 1000) }),
  };
  if (granted.includes("user:email")) {
    const emails = await getJson(deps, new URL("user/emails", api).toString(), { headers });
    const primary = Array.isArray(emails)
      ? (emails as { email?: unknown; primary?: unknown; verified?: unknown }[]).find(
          (e) => e?.primary === true,
        )
      : undefined;
    if (typeof primary?.email === "string") {
      claims.email = primary.email;
      claims.email_verified = primary.verified === true;
    }
  }
  const standard = Object.fromEntries(
    Object.entries(claims).filter(([, v]) => v !== undefined && v !== null && v !== ""),
  );
  return { subject: String(user.id), claims: { ...standard, raw_claims: user }, tokens };
}
