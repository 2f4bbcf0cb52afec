import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { ConfigInput } from "../../server/config/schema.ts";
import { CookieJar, csrfOf, form } from "../helpers/http.ts";
import { startOidcProvider, type TestProvider } from "../helpers/oidc-provider.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

export { CookieJar, csrfOf, form };

/** Tests that need Debian's jsonnet skip only outside CI when the binary is missing. */
export const jsonnetSkip =
  !process.env.CI && !existsSync("/usr/bin/jsonnet") ? "jsonnet (Debian package) is not installed" : false;

/** Kratos's documented mapper shape: email and name from the claims, the email vouched for. */
export const MAPPER = `
local claims = std.extVar('claims');
{
  identity: {
    traits: {
      email: claims.email,
      [if 'name' in claims then 'name']: { first: std.split(claims.name, ' ')[0], last: std.split(claims.name, ' ')[1] },
    },
    metadata_public: { provider_subject: claims.sub },
    verified_addresses: std.prune([
      if 'email' in claims && claims.email_verified then { via: 'email', value: claims.email },
    ]),
  },
}
`;

export const base64 = (text: string) => `base64://${Buffer.from(text).toString("base64")}`;

export interface OidcWorld {
  s: TestServer;
  op: TestProvider;
}

/** A Tessera server with a generic provider pointing at a real OpenID provider on loopback. */
export async function oidcWorld(
  t: { after(fn: () => Promise<void> | void): void },
  opts: {
    mapper?: string;
    overrides?: ConfigInput;
    enabled?: boolean;
    provider?: Record<string, unknown>;
  } = {},
): Promise<OidcWorld> {
  const op = await startOidcProvider();
  const s = await startTestServer({
    secrets: { cipher: ["0123456789abcdef0123456789abcdef"] },
    ciphers: { algorithm: "aes" },
    ...opts.overrides,
    selfservice: {
      ...opts.overrides?.selfservice,
      methods: {
        oidc: {
          enabled: opts.enabled ?? true,
          config: {
            providers: [
              {
                id: "loopback",
                provider: "generic",
                label: "Loopback ID",
                client_id: op.clientId,
                client_secret: op.clientSecret,
                issuer_url: op.issuer,
                scope: ["openid", "email", "profile"],
                mapper_url: base64(opts.mapper ?? MAPPER),
                ...opts.provider,
              } as never,
            ],
          },
        },
      },
      flows: {
        ...opts.overrides?.selfservice?.flows,
        registration: {
          ...opts.overrides?.selfservice?.flows?.registration,
          after: { oidc: { hooks: [{ hook: "session" }] } },
        },
      },
    },
  });
  op.allowRedirects([new URL("self-service/methods/oidc/callback/loopback", s.publicUrl).toString()]);
  t.after(async () => {
    await s.close();
    await op.close();
  });
  op.users.set("alice-sub", {
    sub: "alice-sub",
    email: "alice@example.com",
    email_verified: true,
    name: "Alice Liddell",
  });
  op.users.set("bob-sub", {
    sub: "bob-sub",
    email: "bob@example.com",
    email_verified: true,
    name: "Bob Builder",
  });
  op.nextUser = "alice-sub";
  return { s, op };
}

export function url(s: TestServer, path: string): string {
  return new URL(path.replace(/^\//, ""), s.publicUrl).toString();
}

/** Creates a browser flow and returns it (fetched as JSON with the jar's CSRF cookie). */
export async function browserFlow(
  s: TestServer,
  jar: CookieJar,
  kind: "login" | "registration" | "settings",
  query = "",
): Promise<
  Record<string, unknown> & { id: string; ui: { nodes: { attributes: Record<string, unknown> }[] } }
> {
  const init = await jar.fetch(url(s, `/self-service/${kind}/browser${query}`));
  assert.equal(init.status, 303, `init ${kind}: ${init.status}`);
  const id = new URL(init.headers.get("location")!).searchParams.get("flow")!;
  const res = await jar.fetch(url(s, `/self-service/${kind}/flows?id=${id}`), {
    headers: { accept: "application/json" },
  });
  assert.equal(res.status, 200);
  return (await res.json()) as never;
}

/** Submits `provider=<id>` (or other fields) to a browser flow and returns the 303 to the provider. */
export async function startWithProvider(
  s: TestServer,
  jar: CookieJar,
  kind: "login" | "registration" | "settings",
  flow: { id: string; ui: { nodes: { attributes: Record<string, unknown> }[] } },
  fields: Record<string, string> = { method: "oidc", provider: "loopback" },
): Promise<string> {
  const res = await jar.fetch(
    url(s, `/self-service/${kind}?flow=${flow.id}`),
    form({ ...fields, csrf_token: csrfOf(flow) }),
  );
  assert.equal(res.status, 303, await res.clone().text());
  const location = res.headers.get("location")!;
  return location;
}

/** Browser round trip: start, the provider (auto-login), back to the callback; returns the callback's answer. */
export async function roundTrip(
  w: OidcWorld,
  jar: CookieJar,
  kind: "login" | "registration" | "settings",
  flow: { id: string; ui: { nodes: { attributes: Record<string, unknown> }[] } },
  fields?: Record<string, string>,
  opJar = new CookieJar(),
): Promise<Response> {
  const to = await startWithProvider(w.s, jar, kind, flow, fields);
  assert.ok(to.startsWith(w.op.issuer), `expected a redirect to the provider, got ${to}`);
  const back = await w.op.authorize(to, opJar);
  assert.ok(back.startsWith(url(w.s, "/self-service/methods/oidc/callback/loopback")), back);
  return jar.fetch(back);
}

/** `GET /sessions/whoami` for the jar: its status and the session, checked against the OpenAPI model. */
// biome-ignore lint/suspicious/noExplicitAny: tests read deep into the session JSON
export async function whoami(s: TestServer, jar: CookieJar): Promise<{ status: number; body: any }> {
  const res = await jar.fetch(url(s, "/sessions/whoami"), { headers: { accept: "application/json" } });
  const body = await res.json();
  if (res.status === 200) assertSchema("session", body);
  return { status: res.status, body };
}

/** Overrides for a server whose registration is turned off. */
export const REGISTRATION_OFF: ConfigInput = { selfservice: { flows: { registration: { enabled: false } } } };

/** How many identities the admin API lists. */
export async function identityCount(s: TestServer): Promise<number> {
  return ((await (await fetch(new URL("identities", s.adminUrl))).json()) as unknown[]).length;
}

/** An account with a password, made through the admin API (registration may be off); its id. */
export async function passwordAccount(s: TestServer, email: string, password: string): Promise<string> {
  const created = await fetch(new URL("identities", s.adminUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      schema_id: "default",
      traits: { email },
      credentials: { password: { config: { password } } },
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  return ((await created.json()) as { id: string }).id;
}
