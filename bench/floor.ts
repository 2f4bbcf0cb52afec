/**
 * The benchmark's reference floor: the least a server can do for whoami and a profile update and
 * still do them properly, with the same tools Tessera stands on (bare node:http, better-sqlite3,
 * ajv). Tessera's figures are printed as ratios of this server's, measured in the same run on the
 * same machine, so the ratio says how much of what the machine allows Tessera reaches.
 *
 * What it does per request, so the comparison stays honest:
 * - whoami: the token from `X-Session-Token` or the session cookie, one prepared statement joining
 *   session and identity, the activity and expiry checks, a session JSON of the same shape.
 * - profile update: the body read and parsed, validated with ajv against the traits schema, the
 *   session and the flow checked, the identity written under a version check and the flow marked
 *   successful in one transaction, the flow answered.
 *
 * Beside it, the same server doing what the settings contract asks (`/contract/...`): a history
 * entry written with the identity, the flow's UI rendered, stored with the flow and answered whole,
 * and a new settings flow stored and answered the same way. The same contract routes are served a
 * second time through Tessera's stack (a web-standard fetch handler on @hono/node-server) with
 * Tessera's group commit: the stack floor. Between them the figures say what the goals ask of
 * the contract's own work, of the stack, and of Tessera's code.
 *
 * Usage (by bench/run.ts): `node --import tsx bench/floor.ts <sqlite file> <users.json>`; prints
 * `floor listening <url> stack <url>` on stdout.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { serve } from "@hono/node-server";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import Database from "better-sqlite3";
import type { SeedUser } from "./seed.ts";

const [file, usersFile] = process.argv.slice(2) as [string, string];
const users = JSON.parse(readFileSync(usersFile, "utf8")) as SeedUser[];

const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec(`
  create table if not exists identities (id text primary key, schema_id text not null, state text not null,
    traits text not null, version integer not null, created_at text not null, updated_at text not null);
  create table if not exists sessions (id text primary key, token text not null unique, identity_id text not null
    references identities(id), active integer not null, expires_at integer not null, authenticated_at text not null,
    issued_at text not null);
  create table if not exists flows (id text primary key, identity_id text not null references identities(id),
    state text not null, expires_at integer not null, updated_at text not null, issued_at text not null,
    request_url text not null, ui text not null);
  create table if not exists security_events (id text primary key, identity_id text not null references
    identities(id) on delete cascade, type text not null, method text, outcome text not null, network text,
    client text, created_at integer not null);
  create index if not exists security_events_identity_created_at_idx on security_events (identity_id, created_at);
  create index if not exists security_events_created_at_idx on security_events (created_at);
`);

type Traits = { email: string; name?: { first?: string; last?: string } };
type Message = { id: number; text: string; type: string };

const label = (id: number, text: string, name?: string) => ({
  label: { id, text, type: "info", ...(name ? { context: { title: text, name } } : {}) },
});
const input = (
  group: string,
  name: string,
  type: string,
  value: unknown,
  meta: object,
  extra: object = {},
) => ({
  type: "input",
  group,
  attributes: {
    name,
    type,
    ...(value === undefined ? {} : { value }),
    ...extra,
    disabled: false,
    node_type: "input",
  },
  messages: [],
  meta,
});

/** The settings flow's UI as Kratos shapes it for this schema: rendered once, stored and answered. */
function settingsUi(flowId: string, traits: Traits, messages: Message[]): string {
  return JSON.stringify({
    action: `http://floor/self-service/settings?flow=${flowId}`,
    method: "POST",
    nodes: [
      input("default", "csrf_token", "hidden", "", {}, { required: true }),
      input("profile", "traits.email", "email", traits.email, label(1070002, "E-Mail", "traits.email"), {
        required: true,
        autocomplete: "email",
      }),
      input(
        "profile",
        "traits.name.first",
        "text",
        traits.name?.first,
        label(1070002, "First Name", "traits.name.first"),
      ),
      input(
        "profile",
        "traits.name.last",
        "text",
        traits.name?.last,
        label(1070002, "Last Name", "traits.name.last"),
      ),
      input("profile", "method", "submit", "profile", label(1070003, "Save")),
      input("password", "password", "password", undefined, label(1070001, "Password"), {
        required: true,
        autocomplete: "new-password",
      }),
      input("password", "method", "submit", "password", label(1070003, "Save")),
    ],
    messages,
  });
}

const now = new Date();
const iso = now.toISOString();
const insertIdentity = db.prepare(
  "insert into identities values (?, 'default', 'active', ?, 0, ?, ?) on conflict do nothing",
);
const insertSession = db.prepare("insert into sessions values (?, ?, ?, 1, ?, ?, ?) on conflict do nothing");
const REQUEST_URL = "http://floor/self-service/settings/api";
const insertFlow = db.prepare(
  `insert into flows values (?, ?, 'show_form', ?, ?, ?, '${REQUEST_URL}', ?) on conflict do nothing`,
);
db.transaction(() => {
  for (const u of users) {
    insertIdentity.run(u.id, JSON.stringify(u.traits), iso, iso);
    insertSession.run(u.sessionId, u.token, u.id, now.getTime() + 86_400_000, iso, iso);
    insertFlow.run(u.flowId, u.id, now.getTime() + 3_600_000, iso, iso, settingsUi(u.flowId, u.traits, []));
  }
})();

const whoamiRow = db.prepare(
  `select s.id sid, s.active, s.expires_at, s.authenticated_at, s.issued_at,
     i.id, i.schema_id, i.state, i.traits, i.created_at, i.updated_at
   from sessions s join identities i on i.id = s.identity_id where s.token = ?`,
);
const flowRow = db.prepare(
  "select identity_id, state, expires_at, issued_at, request_url from flows where id = ?",
);
const identityVersion = db.prepare("select version, traits from identities where id = ?");
const writeIdentity = db.prepare(
  "update identities set traits = ?, version = version + 1, updated_at = ? where id = ? and version = ?",
);
const writeFlow = db.prepare("update flows set state = 'success', updated_at = ? where id = ?");
const writeFlowUi = db.prepare("update flows set state = 'success', updated_at = ?, ui = ? where id = ?");
const insertEvent = db.prepare(
  "insert into security_events values (?, ?, 'settings.changed', 'profile', 'success', ?, ?, ?)",
);

const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validateBody = ajv.compile({
  type: "object",
  required: ["method", "traits"],
  properties: {
    method: { const: "profile" },
    traits: {
      type: "object",
      required: ["email"],
      additionalProperties: false,
      properties: {
        email: { type: "string", format: "email", minLength: 3 },
        name: { type: "object", properties: { first: { type: "string" }, last: { type: "string" } } },
      },
    },
  },
});

type Row = {
  sid: string;
  active: number;
  expires_at: number;
  authenticated_at: string;
  issued_at: string;
  id: string;
  schema_id: string;
  state: string;
  traits: string;
  created_at: string;
  updated_at: string;
};

function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers["x-session-token"];
  if (typeof header === "string") return header;
  const cookie = req.headers.cookie;
  const match = cookie ? /(?:^|;\s*)ory_kratos_session=([^;]+)/.exec(cookie) : null;
  return match?.[1];
}

function liveSession(token: string | undefined): Row | undefined {
  const row = token ? (whoamiRow.get(token) as Row | undefined) : undefined;
  return row?.active && row.expires_at > Date.now() && row.state === "active" ? row : undefined;
}

function activeSession(req: IncomingMessage): Row | undefined {
  return liveSession(tokenOf(req));
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "private" });
  res.end(body);
}

const unauthorized = JSON.stringify({ error: { code: 401, status: "Unauthorized" } });

function identityJson(row: Row, traits: string): string {
  return `{"id":"${row.id}","schema_id":"${row.schema_id}","schema_url":"http://floor/schemas/ZGVmYXVsdA","state":"${row.state}","traits":${traits},"metadata_public":null,"created_at":"${row.created_at}","updated_at":"${row.updated_at}"}`;
}

function whoami(req: IncomingMessage, res: ServerResponse): void {
  const row = activeSession(req);
  if (!row) {
    send(res, 401, unauthorized);
    return;
  }
  send(
    res,
    200,
    `{"id":"${row.sid}","active":true,"expires_at":"${new Date(row.expires_at).toISOString()}","authenticated_at":"${row.authenticated_at}","issued_at":"${row.issued_at}","authenticator_assurance_level":"aal1","identity":${identityJson(row, row.traits)}}`,
  );
}

const commitProfile = db.transaction((identityId: string, flowId: string, traits: string, at: string) => {
  const current = identityVersion.get(identityId) as { version: number; traits: string };
  if (writeIdentity.run(traits, at, identityId, current.version).changes !== 1) return false;
  writeFlow.run(at, flowId);
  return true;
});

/**
 * What the settings contract adds to the bare write, done the cheapest way: a history entry (the
 * account's security history, with the same table and indexes as Tessera's) and the flow's UI
 * rendered for the new traits, stored with the flow and answered whole with it.
 */
function contractWrite(
  identityId: string,
  flowId: string,
  traits: string,
  at: Date,
  ui: string,
  client: Client,
) {
  const current = identityVersion.get(identityId) as { version: number; traits: string };
  if (writeIdentity.run(traits, at.toISOString(), identityId, current.version).changes !== 1) return false;
  insertEvent.run(randomUUID(), identityId, client.address, client.agent, at.getTime());
  writeFlowUi.run(at.toISOString(), ui, flowId);
  return true;
}

type Client = { address: string | null; agent: string | null };
type FlowRow = { identity_id: string; expires_at: number; issued_at: string; request_url: string };
type Answer = { status: number; body: string };
/** Runs a write in a transaction: its own (the bare floor), or one shared with its turn (groupCommit). */
type Commit = <T>(write: () => T) => T | Promise<T>;

const ownTransaction: Commit = (write) => db.transaction(write)();

/**
 * Group commit as Tessera does it (db/sqlite/group-commit.ts): the writes asked for within one
 * turn of the event loop share one transaction, each in a savepoint, each answered after the commit.
 */
let turn: { write: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] =
  [];
const inSavepoint = db.transaction((write: () => unknown) => write());
const commitTurn = db.transaction((writes: typeof turn) =>
  writes.map((w) => {
    try {
      return { ok: true, value: inSavepoint(w.write) };
    } catch (error) {
      return { ok: false, value: error };
    }
  }),
).immediate;
const groupCommit: Commit = <T>(write: () => T) =>
  new Promise<T>((resolve, reject) => {
    const asked = { write, resolve: resolve as (value: unknown) => void, reject };
    if (turn.push(asked) > 1) return;
    setImmediate(() => {
      const writes = turn;
      turn = [];
      try {
        commitTurn(writes).forEach((outcome, i) => {
          if (outcome.ok) writes[i]!.resolve(outcome.value);
          else writes[i]!.reject(outcome.value);
        });
      } catch (error) {
        for (const w of writes) w.reject(error);
      }
    });
  });

/** The contract's profile update on a settings flow; `commit` says how its transaction is run. */
async function contractProfile(
  token: string | undefined,
  flowId: string,
  bodyText: string,
  client: Client,
  commit: Commit,
): Promise<Answer> {
  const row = liveSession(token);
  if (!row) return { status: 401, body: unauthorized };
  const flow = flowRow.get(flowId) as FlowRow | undefined;
  if (!flow || flow.identity_id !== row.id) return { status: 404, body: '{"error":{"code":404}}' };
  if (flow.expires_at <= Date.now()) return { status: 410, body: '{"error":{"code":410}}' };
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { status: 400, body: '{"error":{"code":400}}' };
  }
  if (!validateBody(body)) return { status: 400, body: JSON.stringify({ errors: validateBody.errors }) };
  const traitsValue = (body as { traits: Traits }).traits;
  const traits = JSON.stringify(traitsValue);
  const at = new Date();
  const ui = settingsUi(flowId, traitsValue, [saved]);
  if (!(await commit(() => contractWrite(row.id, flowId, traits, at, ui, client))))
    return { status: 409, body: '{"error":{"code":409}}' };
  const identity = identityJson({ ...row, updated_at: at.toISOString() }, traits);
  return {
    status: 200,
    body: `{"id":"${flowId}","type":"api","expires_at":"${new Date(flow.expires_at).toISOString()}","issued_at":"${flow.issued_at}","request_url":"${flow.request_url}","ui":${ui},"identity":${identity},"state":"success"}`,
  };
}

/** The contract's settings flow creation: a flow stored with its rendered UI and answered whole. */
async function contractCreate(token: string | undefined, commit: Commit): Promise<Answer> {
  const row = liveSession(token);
  if (!row) return { status: 401, body: unauthorized };
  const id = randomUUID();
  const at = new Date();
  const issued = at.toISOString();
  const expires = at.getTime() + 3_600_000;
  const ui = settingsUi(id, JSON.parse(row.traits) as Traits, []);
  await commit(() => insertFlow.run(id, row.id, expires, issued, issued, ui));
  return {
    status: 200,
    body: `{"id":"${id}","type":"api","expires_at":"${new Date(expires).toISOString()}","issued_at":"${issued}","request_url":"${REQUEST_URL}","ui":${ui},"identity":${identityJson(row, row.traits)},"state":"show_form"}`,
  };
}

async function profile(req: IncomingMessage, res: ServerResponse, flowId: string, contract: boolean) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const bodyText = Buffer.concat(chunks).toString("utf8");
  if (contract) {
    const client = { address: req.socket.remoteAddress ?? null, agent: req.headers["user-agent"] ?? null };
    const answer = await contractProfile(tokenOf(req), flowId, bodyText, client, ownTransaction);
    return send(res, answer.status, answer.body);
  }
  const row = activeSession(req);
  if (!row) return send(res, 401, unauthorized);
  const flow = flowRow.get(flowId) as FlowRow | undefined;
  if (!flow || flow.identity_id !== row.id) return send(res, 404, '{"error":{"code":404}}');
  if (flow.expires_at <= Date.now()) return send(res, 410, '{"error":{"code":410}}');
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return send(res, 400, '{"error":{"code":400}}');
  }
  if (!validateBody(body)) return send(res, 400, JSON.stringify({ errors: validateBody.errors }));
  const traits = JSON.stringify((body as { traits: unknown }).traits);
  const at = new Date().toISOString();
  if (!commitProfile(row.id, flowId, traits, at)) return send(res, 409, '{"error":{"code":409}}');
  send(
    res,
    200,
    `{"id":"${flowId}","type":"api","state":"success","identity":${identityJson({ ...row, updated_at: at }, traits)},"ui":{"action":"/self-service/settings?flow=${flowId}","method":"POST","nodes":[]}}`,
  );
}

const saved: Message = { id: 1050001, text: "Your changes have been saved!", type: "success" };

/** The prefix that asks for the contract's routes instead of the bare profile update. */
const CONTRACT = "/contract";
const FLOW = "/self-service/settings?flow=";

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  const fail = () => send(res, 500, '{"error":{"code":500}}');
  if (req.method === "GET" && url === "/sessions/whoami") return whoami(req, res);
  if (req.method === "GET" && url === `${CONTRACT}/self-service/settings/api`) {
    contractCreate(tokenOf(req), ownTransaction).then((a) => send(res, a.status, a.body), fail);
    return;
  }
  const contract = url.startsWith(CONTRACT);
  const path = contract ? url.slice(CONTRACT.length) : url;
  if (req.method === "POST" && path.startsWith(FLOW)) {
    profile(req, res, path.slice(FLOW.length), contract).catch(fail);
    return;
  }
  send(res, 404, '{"error":{"code":404}}');
});
server.keepAliveTimeout = 60_000;

/**
 * The stack floor: the contract's routes as a web-standard fetch handler served through
 * @hono/node-server (as Tessera is), with group commit. What Tessera's stack allows for the
 * contract's work; the distance from it to Tessera is Tessera's own.
 */
async function stackFetch(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const token = req.headers.get("x-session-token") ?? undefined;
  let answer: Answer = { status: 404, body: '{"error":{"code":404}}' };
  if (req.method === "GET" && url.pathname === "/self-service/settings/api")
    answer = await contractCreate(token, groupCommit);
  else if (req.method === "POST" && url.pathname === "/self-service/settings") {
    const client = { address: null, agent: req.headers.get("user-agent") };
    answer = await contractProfile(
      token,
      url.searchParams.get("flow") ?? "",
      await req.text(),
      client,
      groupCommit,
    );
  }
  return new Response(answer.body, {
    status: answer.status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "private" },
  });
}

const listening = (port: number) => `http://127.0.0.1:${port}/`;
const stack = serve({ fetch: stackFetch, port: 0, hostname: "127.0.0.1" }, (stackInfo) => {
  (stack as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address && typeof address === "object")
      console.log(`floor listening ${listening(address.port)} stack ${listening(stackInfo.port)}`);
  });
});
process.on("SIGTERM", () => process.exit(0));
