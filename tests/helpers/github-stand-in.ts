import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback stand-in for GitHub's OAuth app endpoints and the two REST endpoints Kratos's github
 * provider reads (`GET /user`, `GET /user/emails`), answering in GitHub's shapes: the token endpoint
 * answers 200 with `{"error": …}` for a bad code (as GitHub does with `Accept: application/json`),
 * grants scopes as a comma-separated `scope`, and `/user/emails` needs the `user:email` scope.
 * Authorization logs `nextUser` in without a page, so a test follows one redirect to the callback.
 */
export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility: "public" | "private" | null;
}

export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  /** The public profile email (GitHub leaves it null when the user keeps it private). */
  email: string | null;
  emails: GitHubEmail[];
}

export interface GitHubStandIn {
  /** Use as `auth_url`, `token_url` and `api_url` of a `github` provider. */
  authUrl: string;
  tokenUrl: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, GitHubUser>;
  /** The login the next authorization signs in. */
  nextUser: string;
  /** When set, the next token exchange answers this GitHub error instead of a token. */
  failTokenExchange: { error: string; error_description: string } | undefined;
  /** Every request the stand-in answered, for assertions on what Tessera asked. */
  requests: { method: string; path: string; authorization: string | undefined }[];
  /** Follows the authorization URL's redirect and returns the callback URL it points to. */
  authorize(authorizationUrl: string): Promise<string>;
  close(): Promise<void>;
}

interface Grant {
  login: string;
  scope: string;
  redirectUri: string;
}

export async function startGitHubStandIn(): Promise<GitHubStandIn> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, Grant>();
  const gh: GitHubStandIn = {
    authUrl: `${base}/login/oauth/authorize`,
    tokenUrl: `${base}/login/oauth/access_token`,
    apiUrl: `${base}/`,
    clientId: "Iv1.tessera0000000",
    clientSecret: "github-client-secret-0123456789abcdef",
    users: new Map(),
    nextUser: "",
    failTokenExchange: undefined,
    requests: [],
    async authorize(authorizationUrl) {
      const res = await fetch(authorizationUrl, { redirect: "manual" });
      if (res.status !== 302) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
      return res.headers.get("location")!;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };
  const bodyOf = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
  };
  const profile = (u: GitHubUser) => ({
    login: u.login,
    id: u.id,
    node_id: `MDQ6VXNlcj${u.id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
    html_url: `https://github.com/${u.login}`,
    type: "User",
    site_admin: false,
    name: u.name,
    company: null,
    blog: "",
    location: null,
    email: u.email,
    bio: null,
    public_repos: 0,
    followers: 0,
    following: 0,
    created_at: "2020-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  });

  server.on("request", async (req, res) => {
    const url = new URL(req.url ?? "/", base);
    gh.requests.push({
      method: req.method ?? "",
      path: url.pathname,
      authorization: req.headers.authorization,
    });
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const redirectUri = url.searchParams.get("redirect_uri") ?? "";
      if (url.searchParams.get("client_id") !== gh.clientId || !redirectUri) {
        res.writeHead(400).end("unknown client or no redirect_uri");
        return;
      }
      const code = randomBytes(10).toString("hex");
      codes.set(code, { login: gh.nextUser, scope: url.searchParams.get("scope") ?? "", redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = await bodyOf(req);
      const basic = req.headers.authorization?.startsWith("Basic ")
        ? Buffer.from(req.headers.authorization.slice(6), "base64").toString("utf8").split(":")
        : [];
      const clientId = form.get("client_id") ?? decodeURIComponent(basic[0] ?? "");
      const secret = form.get("client_secret") ?? decodeURIComponent(basic[1] ?? "");
      if (clientId !== gh.clientId || secret !== gh.clientSecret) {
        json(res, 200, {
          error: "incorrect_client_credentials",
          error_description: "The client_id and/or client_secret passed are incorrect.",
        });
        return;
      }
      const code = form.get("code") ?? "";
      const grant = codes.get(code);
      codes.delete(code);
      const failure = gh.failTokenExchange;
      gh.failTokenExchange = undefined;
      if (failure) {
        json(res, 200, failure);
        return;
      }
      if (!grant || grant.redirectUri !== form.get("redirect_uri")) {
        json(res, 200, {
          error: "bad_verification_code",
          error_description: "The code passed is incorrect or expired.",
        });
        return;
      }
      const token = `gho_${randomBytes(18).toString("hex")}`;
      tokens.set(token, grant);
      // GitHub lists granted scopes comma-separated.
      json(res, 200, {
        access_token: token,
        token_type: "bearer",
        scope: grant.scope.split(/[ ,]+/).join(","),
      });
      return;
    }
    const auth = req.headers.authorization ?? "";
    const grant = tokens.get(auth.replace(/^(Bearer|token) /i, ""));
    const user = grant ? gh.users.get(grant.login) : undefined;
    if (req.method === "GET" && (url.pathname === "/user" || url.pathname === "/user/emails")) {
      if (!grant || !user) {
        json(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
        return;
      }
      if (url.pathname === "/user") {
        json(res, 200, profile(user));
        return;
      }
      if (!grant.scope.split(/[ ,]+/).some((s) => s === "user:email" || s === "user")) {
        json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
        return;
      }
      json(res, 200, user.emails);
      return;
    }
    json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  });
  return gh;
}
