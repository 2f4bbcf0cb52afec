import assert from "node:assert/strict";
import { test } from "node:test";
import { type GitHubStandIn, startGitHubStandIn } from "../helpers/github-stand-in.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { base64, browserFlow, CookieJar, jsonnetSkip, startWithProvider, url, whoami } from "./support.ts";

/** A mapper as Kratos documents for GitHub: the primary email, vouched for only when GitHub verified it. */
const GITHUB_MAPPER = `
local claims = std.extVar('claims');
{
  identity: {
    traits: {
      email: claims.email,
      name: { first: std.split(claims.name, ' ')[0], last: std.split(claims.name, ' ')[1] },
    },
    metadata_public: { github_login: claims.nickname, github_id: claims.sub },
    verified_addresses: std.prune([
      if 'email' in claims && claims.email_verified then { via: 'email', value: claims.email },
    ]),
  },
}
`;

interface GitHubWorld {
  s: TestServer;
  gh: GitHubStandIn;
}

async function githubWorld(t: { after(fn: () => Promise<void>): void }): Promise<GitHubWorld> {
  const gh = await startGitHubStandIn();
  const s = await startTestServer({
    selfservice: {
      methods: {
        oidc: {
          enabled: true,
          config: {
            providers: [
              {
                id: "github",
                provider: "github",
                label: "GitHub",
                client_id: gh.clientId,
                client_secret: gh.clientSecret,
                auth_url: gh.authUrl,
                token_url: gh.tokenUrl,
                api_url: gh.apiUrl,
                scope: ["read:user", "user:email"],
                mapper_url: base64(GITHUB_MAPPER),
              } as never,
            ],
          },
        },
      },
      flows: { registration: { after: { oidc: { hooks: [{ hook: "session" }] } } } },
    },
  });
  t.after(async () => {
    await s.close();
    await gh.close();
  });
  gh.users.set("monalisa", {
    id: 583231,
    login: "monalisa",
    name: "Mona Lisa",
    email: null,
    emails: [
      { email: "old@example.com", primary: false, verified: false, visibility: null },
      { email: "mona@example.com", primary: true, verified: true, visibility: "private" },
    ],
  });
  gh.nextUser = "monalisa";
  return { s, gh };
}

type Flow = Awaited<ReturnType<typeof browserFlow>>;

/** Start with `provider=github`, pass the stand-in's authorization, and return the callback's answer. */
async function viaGitHub(w: GitHubWorld, jar: CookieJar, kind: "login" | "registration", flow: Flow) {
  const to = await startWithProvider(w.s, jar, kind, flow, { method: "oidc", provider: "github" });
  assert.ok(to.startsWith(w.gh.authUrl), `expected a redirect to GitHub, got ${to}`);
  const asked = new URL(to).searchParams;
  assert.equal(asked.get("client_id"), w.gh.clientId);
  assert.equal(asked.get("scope"), "read:user user:email");
  assert.equal(asked.get("redirect_uri"), url(w.s, "/self-service/methods/oidc/callback/github"));
  assert.ok(asked.get("state"));
  // GitHub is plain OAuth 2: no OpenID nonce.
  assert.equal(asked.get("nonce"), null);
  const back = await w.gh.authorize(to);
  assert.ok(back.startsWith(url(w.s, "/self-service/methods/oidc/callback/github")), back);
  return jar.fetch(back);
}

test("browser sign-up with github maps /user and the primary /user/emails address, then signs in again", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await githubWorld(t);
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "registration");
  const button = flow.ui.nodes.find((n) => n.attributes.name === "provider");
  assert.equal(button?.attributes.value, "github");
  const done = await viaGitHub(w, jar, "registration", flow);
  assert.equal(done.status, 303, await done.clone().text());

  const { status, body: me } = await whoami(w.s, jar);
  assert.equal(status, 200);
  assert.equal(me.identity.traits.email, "mona@example.com");
  assert.deepEqual(me.identity.traits.name, { first: "Mona", last: "Lisa" });
  assert.deepEqual(me.identity.metadata_public, { github_login: "monalisa", github_id: "583231" });
  assert.equal(me.identity.verifiable_addresses.length, 1);
  assert.equal(me.identity.verifiable_addresses[0].value, "mona@example.com");
  assert.equal(me.identity.verifiable_addresses[0].verified, true);
  // The session names the provider, as Kratos's session hook does for an OpenID sign-up.
  assert.deepEqual(
    me.authentication_methods.map((m: { method: string; provider?: string }) => [m.method, m.provider]),
    [["oidc", "github"]],
  );

  // Tessera asked the API with the access token GitHub issued, for the user and then the emails.
  const api = w.gh.requests.filter((r) => r.path.startsWith("/user"));
  assert.deepEqual(
    api.map((r) => r.path),
    ["/user", "/user/emails"],
  );
  for (const r of api) assert.match(r.authorization ?? "", /^Bearer gho_/);

  const admin = new URL(`identities/${me.identity.id}`, w.s.adminUrl);
  admin.searchParams.set("include_credential", "oidc");
  const full = (await (await fetch(admin)).json()) as {
    credentials: {
      oidc: {
        identifiers: string[];
        config: { providers: { provider: string; subject: string; initial_access_token: string }[] };
      };
    };
  };
  assertSchema("identity", full);
  assert.deepEqual(full.credentials.oidc.identifiers, ["github:583231"]);
  assert.equal(full.credentials.oidc.config.providers[0]?.subject, "583231");
  assert.match(full.credentials.oidc.config.providers[0]?.initial_access_token ?? "", /^gho_/);

  // Signing in again through GitHub finds the same identity.
  const other = new CookieJar();
  const login = await browserFlow(w.s, other, "login");
  const back = await viaGitHub(w, other, "login", login);
  assert.equal(back.status, 303, await back.clone().text());
  const { status: again, body: session } = await whoami(w.s, other);
  assert.equal(again, 200);
  assert.equal(session.identity.id, me.identity.id);
  assert.equal(session.authentication_methods[0].provider, "github");
});

test("GitHub refusing the code at the token endpoint is the flow's 4000001 message, never a 500", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await githubWorld(t);
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "registration");
  w.gh.failTokenExchange = {
    error: "bad_verification_code",
    error_description: "The code passed is incorrect or expired.",
  };
  const res = await viaGitHub(w, jar, "registration", flow);
  assert.equal(res.status, 303, await res.clone().text());
  assert.equal(res.headers.get("location"), `${w.s.app.deps.config.ui.registration}?flow=${flow.id}`);
  const shown = await jar.fetch(url(w.s, `/self-service/registration/flows?id=${flow.id}`), {
    headers: { accept: "application/json" },
  });
  assert.equal(shown.status, 200);
  const body = (await shown.json()) as { ui: { messages?: { id: number; text: string }[] } };
  assertSchema("registrationFlow", body);
  assert.equal(body.ui.messages?.[0]?.id, 4000001);
  assert.match(body.ui.messages?.[0]?.text ?? "", /bad_verification_code/);
  // No token means the API was never asked, and nobody was created or signed in.
  assert.equal(w.gh.requests.filter((r) => r.path.startsWith("/user")).length, 0);
  assert.equal((await whoami(w.s, jar)).status, 401);
  const list = (await (await fetch(new URL("identities", w.s.adminUrl))).json()) as unknown[];
  assert.equal(list.length, 0);
});

test("a GitHub grant missing a configured scope is refused in the flow as Kratos does", {
  skip: jsonnetSkip,
}, async (t) => {
  const w = await githubWorld(t);
  const jar = new CookieJar();
  const flow = await browserFlow(w.s, jar, "login");
  const to = await startWithProvider(w.s, jar, "login", flow, { method: "oidc", provider: "github" });
  // The person unticks user:email on GitHub's consent page: only read:user is granted.
  const narrowed = new URL(to);
  narrowed.searchParams.set("scope", "read:user");
  const res = await jar.fetch(await w.gh.authorize(narrowed.toString()));
  assert.equal(res.status, 303, await res.clone().text());
  const shown = await jar.fetch(url(w.s, `/self-service/login/flows?id=${flow.id}`), {
    headers: { accept: "application/json" },
  });
  const body = (await shown.json()) as { ui: { messages?: { id: number; text: string }[] } };
  assertSchema("loginFlow", body);
  assert.equal(body.ui.messages?.[0]?.id, 4000001);
  assert.match(body.ui.messages?.[0]?.text ?? "", /permissions were not granted/);
  assert.equal((await whoami(w.s, jar)).status, 401);
});
