import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { CookieJar } from "./http.ts";

/**
 * A real OpenID provider on loopback (the `oidc-provider` package), started on a free port. Its
 * interaction pages log in and consent on their own: the account is `nextUser` (or the request is
 * refused with `access_denied` when `deny` is set), so a test reaches the callback by following
 * redirects with fetch and a cookie jar for the provider.
 */
export interface TestUser {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, TestUser>;
  /** The account the next interaction signs in. */
  nextUser: string;
  /** When set, the next interactions answer `access_denied`. */
  deny: boolean;
  /** What a native app gets from the provider's SDK: an id_token for the next user, with this nonce. */
  idToken(nonce: string, redirectUri: string): Promise<string>;
  /** Registers the client's redirect URIs (known once the Tessera server listens). */
  allowRedirects(uris: string[]): void;
  /** Follows the provider's redirects from the authorization URL up to the callback URL it returns to. */
  authorize(authorizationUrl: string, jar?: CookieJar): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcProvider(): Promise<TestProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "test", alg: "RS256", use: "sig" };
  const users = new Map<string, TestUser>();
  const clientId = "tessera";
  const clientSecret = "tessera-secret-with-enough-length";
  const make = (uris: string[]) =>
    new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: uris,
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
        },
      ],
      jwks: { keys: [jwk as never] },
      cookies: { keys: ["test-cookie-key-0123456789"] },
      claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
      conformIdTokenClaims: false,
      ttl: {
        Session: 3600,
        Grant: 3600,
        AccessToken: 3600,
        IdToken: 3600,
        Interaction: 3600,
        AuthorizationCode: 600,
      },
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => false },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      async findAccount(_ctx: unknown, sub: string) {
        const user = users.get(sub);
        if (!user) return undefined;
        return { accountId: sub, claims: async () => ({ ...user }) };
      },
    });
  let provider = make([]);

  const state = {
    nextUser: "",
    deny: false,
  };

  async function interaction(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    let result: Record<string, unknown>;
    if (state.deny)
      result = { error: "access_denied", error_description: "The resource owner denied the request" };
    else if (details.prompt.name === "login") result = { login: { accountId: state.nextUser } };
    else {
      const accountId = details.session?.accountId as string;
      const clientId = details.params.client_id as string;
      const grant = details.grantId
        ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
        : new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(String(details.params.scope ?? "openid"));
      result = { consent: { grantId: await grant.save() } };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }

  server.on("request", (req, res) => {
    if (req.url?.startsWith("/interaction/")) {
      interaction(req, res).catch((err) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    provider.callback()(req, res);
  });

  async function authorize(authorizationUrl: string, jar = new CookieJar()): Promise<string> {
    let url = authorizationUrl;
    for (let i = 0; i < 20; i++) {
      if (!url.startsWith(issuer)) return url;
      const res = await jar.fetch(url);
      await res.arrayBuffer();
      const location = res.headers.get("location");
      if (!location) throw new Error(`the provider answered ${res.status} at ${url} without a redirect`);
      url = new URL(location, url).toString();
    }
    throw new Error("too many redirects at the provider");
  }

  return {
    issuer,
    clientId,
    clientSecret,
    users,
    get nextUser() {
      return state.nextUser;
    },
    set nextUser(v: string) {
      state.nextUser = v;
    },
    get deny() {
      return state.deny;
    },
    set deny(v: boolean) {
      state.deny = v;
    },
    async idToken(nonce, redirectUri) {
      const auth = new URL("/auth", issuer);
      for (const [k, v] of Object.entries({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid email profile",
        nonce,
        state: "native-app",
      }))
        auth.searchParams.set(k, v);
      const back = new URL(await authorize(auth.toString()));
      const code = back.searchParams.get("code");
      if (!code) throw new Error(`no code: ${back}`);
      const res = await fetch(new URL("/token", issuer), {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString("base64")}`,
        },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: redirectUri,
        }).toString(),
      });
      const body = (await res.json()) as { id_token?: string };
      if (!body.id_token) throw new Error(`no id_token: ${JSON.stringify(body)}`);
      return body.id_token;
    },
    allowRedirects(uris) {
      provider = make(uris);
    },
    authorize,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
