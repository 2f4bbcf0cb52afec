import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { adminRestRoutes, publicRestRoutes } from "../../server/http/handlers.ts";
import { legacyAdminRoutes, legacyPublicRoutes } from "../../server/legacy/routes.ts";
import { pageRoutes } from "../../server/pages/routes.ts";
import { adminRouter } from "../../server/trpc/admin.ts";
import { publicRouter } from "../../server/trpc/public.ts";
import { apiFlow, registerApi } from "../settings/helpers.ts";
import { deepJson, errorLines, loggedServer, type TestServer } from "./support.ts";

/**
 * Issue 8's acceptance: hostile requests against every public and admin endpoint never answer 5xx,
 * never answer a JSON caller with anything but JSON, and never crash the server. FUZZ_RUNS sets the
 * number of requests (default keeps `npm test` well under a minute; the issue asks for 10,000 once);
 * FUZZ_SEED replays a failure.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

type Listener = "public" | "admin";

interface Endpoint {
  listener: Listener;
  methods: readonly string[];
  path: string;
}

const routes = (listener: Listener, table: readonly { methods: readonly string[]; path: string }[]) =>
  table.map((r) => ({ listener, methods: r.methods, path: r.path }));

/** Procedure names (`settings.submit`, `identities.create`, …) of a tRPC router. */
function procedures(router: { _def: { procedures: object } }): string[] {
  return Object.keys(router._def.procedures);
}

/** Every route of both listeners (the route tables handlers.ts mounts), the admin ones with and without /admin. */
const ENDPOINTS: Endpoint[] = [
  ...routes("public", [...publicRestRoutes(), ...pageRoutes, ...legacyPublicRoutes()]),
  ...routes("admin", [...adminRestRoutes(), ...legacyAdminRoutes()]),
  ...routes("admin", adminRestRoutes()).map((e) => ({ ...e, path: `/admin${e.path}` })),
  ...procedures(publicRouter).map((p) => ({
    listener: "public" as const,
    methods: ["GET", "POST"],
    path: `/trpc/${p}`,
  })),
  ...procedures(adminRouter).map((p) => ({
    listener: "admin" as const,
    methods: ["GET", "POST"],
    path: `/trpc/${p}`,
  })),
  ...procedures(adminRouter).map((p) => ({
    listener: "admin" as const,
    methods: ["GET", "POST"],
    path: `/admin/trpc/${p}`,
  })),
];

/** Real ids and tokens, so some requests reach code past the "not found" checks. */
interface Fixture {
  s: TestServer;
  identityId: string;
  sessionId: string;
  token: string;
  settingsFlow: string;
  loginFlow: string;
  registrationFlow: string;
}

const ODD_STRINGS = [
  "",
  " ",
  "null",
  "0",
  "-1",
  "1e999",
  "NaN",
  "true",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "prototype",
  "../../etc/passwd",
  "%00",
  "%",
  "\u0000",
  "\ud800",
  "\u202e\u0041",
  "😀".repeat(50),
  "a".repeat(5000),
  "00000000-0000-0000-0000-000000000000",
  "javascript:alert(1)",
  "https://evil.example/",
  "<script>x</script>",
];

const oddString = fc.oneof(
  fc.constantFrom(...ODD_STRINGS),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.uuid(),
);

/** JSON values with hostile keys and numbers-as-strings where objects or strings are expected. */
const hostileKey = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "method",
    "traits",
    "password",
    "identifier",
    "csrf_token",
    "flow",
    "body",
    "schema_id",
    "state",
    "metadata_public",
    "metadata_admin",
    "credentials",
    "op",
    "path",
    "value",
    "traits.email",
    "traits.name.first",
  ),
  fc.string({ maxLength: 12 }),
);

const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    oddString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(hostileKey, tie("value"), { maxKeys: 6 }),
  ),
})).value;

/** A body that looks like a real submission, with some fields made hostile. */
const flowishBody = fc.record(
  {
    method: fc.oneof(fc.constantFrom("password", "profile", "oidc", "code", "link"), hostileJson),
    password: fc.oneof(fc.constant("Tessera-correct-horse-7421"), hostileJson),
    identifier: fc.oneof(fc.constant("ada@example.com"), hostileJson),
    traits: fc.oneof(
      fc.record({ email: fc.oneof(fc.constant("eve@example.com"), hostileJson), name: hostileJson }),
      hostileJson,
    ),
    csrf_token: hostileJson,
    transient_payload: hostileJson,
    schema_id: fc.oneof(fc.constant("default"), hostileJson),
    state: fc.oneof(fc.constantFrom("active", "inactive"), hostileJson),
    metadata_public: hostileJson,
    flow: hostileJson,
    body: hostileJson,
  },
  { requiredKeys: [] },
);

const jsonPatch = fc.array(
  fc.record({
    op: fc.oneof(fc.constantFrom("add", "replace", "remove", "move", "copy", "test"), hostileJson),
    path: fc.oneof(
      fc.constantFrom("/traits/email", "/metadata_public", "/state", "/credentials", "/__proto__/x"),
      oddString,
    ),
    value: hostileJson,
    from: fc.oneof(fc.constant("/traits"), oddString),
  }),
  { maxLength: 4 },
);

type BodySpec =
  | { kind: "none" }
  | { kind: "json"; value: unknown }
  | { kind: "text"; text: string }
  | { kind: "deep"; depth: number; shape: "object" | "array"; wrap: boolean }
  | { kind: "huge"; bytes: number }
  | { kind: "form"; pairs: [string, string][] };

const bodySpec: fc.Arbitrary<BodySpec> = fc.oneof(
  { arbitrary: fc.constant<BodySpec>({ kind: "none" }), weight: 1 },
  { arbitrary: hostileJson.map((value): BodySpec => ({ kind: "json", value })), weight: 3 },
  { arbitrary: flowishBody.map((value): BodySpec => ({ kind: "json", value })), weight: 4 },
  { arbitrary: jsonPatch.map((value): BodySpec => ({ kind: "json", value })), weight: 1 },
  {
    arbitrary: fc
      .record({ flow: fc.uuid(), body: flowishBody })
      .map((value): BodySpec => ({ kind: "json", value })),
    weight: 1,
  },
  { arbitrary: oddString.map((text): BodySpec => ({ kind: "text", text })), weight: 1 },
  {
    arbitrary: fc
      .record({
        depth: fc.oneof(fc.integer({ min: 60, max: 70 }), fc.integer({ min: 1000, max: 120_000 })),
        shape: fc.constantFrom("object" as const, "array" as const),
        wrap: fc.boolean(),
      })
      .map((d): BodySpec => ({ kind: "deep", ...d })),
    weight: 2,
  },
  {
    arbitrary: fc
      .integer({ min: 100_000, max: 6 * 1024 * 1024 })
      .map((bytes): BodySpec => ({ kind: "huge", bytes })),
    weight: 1,
  },
  {
    arbitrary: fc
      .array(fc.tuple(fc.oneof(hostileKey, oddString), oddString), { maxLength: 8 })
      .map((pairs): BodySpec => ({ kind: "form", pairs })),
    weight: 2,
  },
);

const CONTENT_TYPES = [
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "application/json-patch+json",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=xyz",
  "text/plain",
  "application/xml",
  "APPLICATION/JSON",
  ";;;",
];

const ACCEPTS = [undefined, "application/json", "text/html", "*/*", "text/html,application/json;q=0.9"];

interface RequestSpec {
  endpoint: Endpoint;
  method: string;
  params: number[];
  paramTexts: string[];
  query: [string, number, string][];
  contentType: string | undefined;
  accept: string | undefined;
  auth: "none" | "token" | "badToken" | "cookie";
  body: BodySpec;
}

const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  endpoint: fc.constantFrom(...ENDPOINTS),
  method: fc.oneof(
    { arbitrary: fc.constant("route"), weight: 6 },
    { arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"), weight: 2 },
  ),
  params: fc.array(fc.nat(9), { minLength: 3, maxLength: 3 }),
  paramTexts: fc.array(oddString, { minLength: 3, maxLength: 3 }),
  query: fc.array(
    fc.tuple(
      fc.constantFrom(
        "flow",
        "id",
        "return_to",
        "refresh",
        "aal",
        "page_size",
        "page_token",
        "include_credential",
        "expand",
        "input",
        "batch",
        "token",
      ),
      fc.nat(9),
      oddString,
    ),
    { maxLength: 3 },
  ),
  contentType: fc.constantFrom(...CONTENT_TYPES),
  accept: fc.constantFrom(...ACCEPTS),
  auth: fc.constantFrom("none", "token", "badToken", "cookie"),
  body: bodySpec,
});

/** A param or query value: mostly real ids (so requests reach deep code), sometimes hostile text. */
function pick(f: Fixture, name: string, choice: number, text: string): string {
  if (choice >= 6) return text;
  const real: Record<string, string[]> = {
    id: [f.identityId, f.sessionId, f.settingsFlow],
    flow: [f.settingsFlow, f.loginFlow, f.registrationFlow],
    type: ["password", "oidc", "totp"],
    token: [f.token],
    input: [
      JSON.stringify({ id: f.settingsFlow }),
      JSON.stringify({ id: f.identityId }),
      deepJson(1500, "array"),
      JSON.stringify({ 0: { id: f.loginFlow } }),
    ],
  };
  const options = real[name] ?? [text];
  return options[choice % options.length]!;
}

/** Lone surrogates replaced, so encodeURIComponent accepts the text (fetch would refuse it anyway). */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

function bodyText(body: BodySpec): string | undefined {
  switch (body.kind) {
    case "none":
      return undefined;
    case "json":
      return JSON.stringify(body.value) ?? "null";
    case "text":
      return body.text;
    case "deep":
      return body.wrap
        ? `{"method":"profile","traits":{"email":"eve@example.com","name":${deepJson(body.depth, body.shape)}}}`
        : deepJson(body.depth, body.shape);
    case "huge":
      return `{"method":"password","password":"${"x".repeat(body.bytes)}"}`;
    case "form":
      return new URLSearchParams(body.pairs).toString();
  }
}

function buildRequest(f: Fixture, spec: RequestSpec): { url: URL; init: RequestInit; method: string } {
  const { endpoint } = spec;
  let i = 0;
  const path = endpoint.path.replace(/:([a-z]+)/g, (_, name: string) => {
    const n = i++;
    const text = pick(f, name, spec.params[n]!, spec.paramTexts[n]!);
    // Every 5th choice goes in raw (stray `%`, `/`, `..`); the URL parser normalises what it must.
    return spec.params[n] === 5 ? text : encodeURIComponent(wellFormed(text));
  });
  const url = new URL(path.replace(/^\//, ""), endpoint.listener === "public" ? f.s.publicUrl : f.s.adminUrl);
  for (const [name, choice, text] of spec.query) url.searchParams.append(name, pick(f, name, choice, text));
  const method =
    spec.method === "route" ? endpoint.methods[spec.params[0]! % endpoint.methods.length]! : spec.method;
  const headers = new Headers();
  if (spec.contentType) headers.set("content-type", spec.contentType);
  if (spec.accept) headers.set("accept", spec.accept);
  if (spec.auth === "token") headers.set("x-session-token", f.token);
  if (spec.auth === "badToken") headers.set("x-session-token", "ory_st_not-a-token");
  if (spec.auth === "cookie") headers.set("cookie", `ory_kratos_session=${f.token}; csrf_token_x=%%%`);
  const body = method === "GET" || method === "HEAD" ? undefined : bodyText(spec.body);
  return {
    url,
    method,
    init: { method, headers, redirect: "manual", ...(body !== undefined ? { body } : {}) },
  };
}

function describe(spec: RequestSpec, url: URL, method: string): string {
  const body = bodyText(spec.body);
  return `${method} ${String(url).slice(0, 300)} ct=${spec.contentType} accept=${spec.accept} auth=${spec.auth} body=${body?.slice(0, 300)}`;
}

async function check(f: Fixture, spec: RequestSpec): Promise<void> {
  const { url, init, method } = buildRequest(f, spec);
  const res = await fetch(url, init);
  const text = await res.text();
  const what = describe(spec, url, method);
  assert.ok(res.status < 500, `${res.status} for ${what}\n${text.slice(0, 500)}`);
  const askedJson = spec.accept === "application/json";
  // 431: Node's own parser refuses an oversized head before any handler runs (no body at all).
  const quiet =
    res.status === 204 || res.status === 431 || (res.status >= 300 && res.status < 400) || method === "HEAD";
  const type = res.headers.get("content-type") ?? "";
  const uiPage = url.pathname.startsWith("/ui") && type.startsWith("text/");
  if (askedJson && !quiet && !uiPage) {
    assert.match(type, /^application\/json/, `non-JSON ${res.status} (${type}) for ${what}`);
    assert.doesNotThrow(() => JSON.parse(text), `unparseable JSON for ${what}`);
  }
}

test(`fuzz: ${RUNS} hostile requests over every public and admin endpoint, no 5xx, no crash`, async (t) => {
  const { s, log } = await loggedServer(t);
  const user = await registerApi(s);
  const settings = await apiFlow(s, user.token);
  const login = (await (await fetch(new URL("self-service/login/api", s.publicUrl))).json()) as {
    id: string;
  };
  const registration = (await (
    await fetch(new URL("self-service/registration/api", s.publicUrl))
  ).json()) as {
    id: string;
  };
  const fixture: Fixture = {
    s,
    identityId: user.identityId,
    sessionId: user.sessionId,
    token: user.token,
    settingsFlow: settings.id as string,
    loginFlow: login.id,
    registrationFlow: registration.id,
  };
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(requestSpec, (spec) => check(fixture, spec)),
    { numRuns: RUNS, includeErrorInReport: true, ...(SEED !== undefined ? { seed: SEED } : {}) },
  );
  t.diagnostic(`${RUNS} requests in ${Date.now() - started} ms`);
  // The server is still up, and nothing it saw was an unhandled error.
  assert.equal((await fetch(new URL("health/alive", s.adminUrl))).status, 200);
  assert.deepEqual(
    errorLines(log).map((l) => `${l.msg} ${String(l.fields?.error ?? "").slice(0, 300)}`),
    [],
  );
});
