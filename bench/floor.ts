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
 * Usage (by bench/run.ts): `node --import tsx bench/floor.ts <sqlite file> <users.json>`; prints
 * `floor listening <url>` on stdout.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
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
    state text not null, expires_at integer not null, updated_at text not null);
`);

const now = new Date();
const iso = now.toISOString();
const insertIdentity = db.prepare(
  "insert into identities values (?, 'default', 'active', ?, 0, ?, ?) on conflict do nothing",
);
const insertSession = db.prepare("insert into sessions values (?, ?, ?, 1, ?, ?, ?) on conflict do nothing");
const insertFlow = db.prepare("insert into flows values (?, ?, 'show_form', ?, ?) on conflict do nothing");
db.transaction(() => {
  for (const u of users) {
    insertIdentity.run(u.id, JSON.stringify(u.traits), iso, iso);
    insertSession.run(u.sessionId, u.token, u.id, now.getTime() + 86_400_000, iso, iso);
    insertFlow.run(u.flowId, u.id, now.getTime() + 3_600_000, iso);
  }
})();

const whoamiRow = db.prepare(
  `select s.id sid, s.active, s.expires_at, s.authenticated_at, s.issued_at,
     i.id, i.schema_id, i.state, i.traits, i.created_at, i.updated_at
   from sessions s join identities i on i.id = s.identity_id where s.token = ?`,
);
const flowRow = db.prepare("select identity_id, state, expires_at from flows where id = ?");
const identityVersion = db.prepare("select version, traits from identities where id = ?");
const writeIdentity = db.prepare(
  "update identities set traits = ?, version = version + 1, updated_at = ? where id = ? and version = ?",
);
const writeFlow = db.prepare("update flows set state = 'success', updated_at = ? where id = ?");

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

function activeSession(req: IncomingMessage): Row | undefined {
  const token = tokenOf(req);
  if (!token) return undefined;
  const row = whoamiRow.get(token) as Row | undefined;
  if (!row?.active || row.expires_at <= Date.now() || row.state !== "active") return undefined;
  return row;
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

async function profile(req: IncomingMessage, res: ServerResponse, flowId: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const row = activeSession(req);
  if (!row) return send(res, 401, unauthorized);
  const flow = flowRow.get(flowId) as { identity_id: string; expires_at: number } | undefined;
  if (!flow || flow.identity_id !== row.id) return send(res, 404, '{"error":{"code":404}}');
  if (flow.expires_at <= Date.now()) return send(res, 410, '{"error":{"code":410}}');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
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

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "GET" && url === "/sessions/whoami") return whoami(req, res);
  if (req.method === "POST" && url.startsWith("/self-service/settings?flow=")) {
    profile(req, res, url.slice("/self-service/settings?flow=".length)).catch(() =>
      send(res, 500, '{"error":{"code":500}}'),
    );
    return;
  }
  send(res, 404, '{"error":{"code":404}}');
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address && typeof address === "object")
    console.log(`floor listening http://127.0.0.1:${address.port}/`);
});
process.on("SIGTERM", () => process.exit(0));
