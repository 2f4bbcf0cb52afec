import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigInput } from "../../server/config/schema.ts";
import { assertSchema } from "../helpers/openapi.ts";
import { startTestServer } from "../helpers/server.ts";
import { type Actor, assertNoCookies, bindActor, CALLERS, type CallerKind, makeActor } from "./callers.ts";
import {
  assertUnchanged,
  bodyOf,
  continueWithRedirect,
  csrfOf,
  errorOf,
  flowIdFromUiRedirect,
  flowOf,
  globalMessageIds,
  HOUR,
  hasContinuityCookie,
  hasSessionCookie,
  type Json,
  MINUTE,
  nodeOf,
  refreshLoginUrl,
  registerBrowser,
  server,
  snapshot,
  spaFlow,
  storedErrorOf,
  type TestServer,
  url,
} from "./helpers.ts";

/**
 * Every row of the response matrix (contract §4.4.2) for one method and each caller. `method`
 * supplies the payloads: one that succeeds, one that fails validation (and where its message lands),
 * one that needs a privileged session, and how to disable the method.
 */
export interface MethodCase {
  method: "profile" | "password";
  success(actor: Actor): Json;
  /** Checks the identity after a successful submission (through the stored flow's identity). */
  applied(s: TestServer, actor: Actor, before: Awaited<ReturnType<typeof snapshot>>): Promise<void>;
  invalid(actor: Actor): Json;
  invalidMessage: { node: string; id: number };
  privileged(actor: Actor): Json;
  disabled: ConfigInput;
}

const expectedUi = (s: TestServer, flowId: string) => `${url(s, "/ui/settings")}?flow=${flowId}`;

async function setup(t: Parameters<typeof server>[0], kind: CallerKind, overrides: ConfigInput = {}) {
  const s = await server(t, overrides);
  const actor = await makeActor(s, kind);
  return { s, actor };
}

export function defineMatrix(c: MethodCase): void {
  for (const kind of CALLERS) {
    const label = `${c.method} × ${kind}`;

    test(`${label}: success`, async (t) => {
      const { s, actor } = await setup(t, kind);
      const before = await snapshot(s, actor.identityId);
      const flow = await actor.newFlow();
      const res = await actor.submit(flow, c.success(actor));
      let done: Json;
      if (kind === "browser") {
        assert.equal(flowIdFromUiRedirect(s, res), flow.id, "303 back to the settings UI for the same flow");
        assert.ok(hasSessionCookie(res), "browser success re-issues the session cookie");
        done = await actor.fetchFlow(String(flow.id));
      } else {
        assert.equal(res.status, 200, await res.clone().text());
        done = await flowOf(res);
        if (kind === "spa") {
          assert.ok(hasSessionCookie(res), "SPA success re-issues the session cookie");
          assert.equal(continueWithRedirect(done), expectedUi(s, String(flow.id)));
        } else {
          assertNoCookies(res);
          assert.equal(continueWithRedirect(done), undefined, "api flows get no redirect_browser_to");
        }
      }
      assert.equal(done.state, "success");
      assert.deepEqual(globalMessageIds(done), [1050001]);
      assert.equal((done.ui as { messages: { type: string }[] }).messages[0]!.type, "success");
      for (const n of (done.ui as { nodes: { messages: unknown[] }[] }).nodes) {
        assert.deepEqual(n.messages, [], "no node messages after success");
      }
      await c.applied(s, actor, before);
    });

    test(`${label}: validation error`, async (t) => {
      const { s, actor } = await setup(t, kind);
      const before = await snapshot(s, actor.identityId);
      const flow = await actor.newFlow();
      const res = await actor.submit(flow, c.invalid(actor));
      let rendered: Json;
      if (kind === "browser") {
        assert.equal(flowIdFromUiRedirect(s, res), flow.id);
        assert.equal(hasSessionCookie(res), false);
        rendered = await actor.fetchFlow(String(flow.id));
      } else {
        assert.equal(res.status, 400, await res.clone().text());
        rendered = await flowOf(res);
        if (kind === "api") assertNoCookies(res);
      }
      assert.equal(rendered.id, flow.id);
      assert.equal(rendered.state, "show_form");
      const node = nodeOf(rendered, c.invalidMessage.node);
      assert.deepEqual(
        node.messages.map((m) => m.id),
        [c.invalidMessage.id],
        JSON.stringify(node),
      );
      await assertUnchanged(s, before);
      if (kind !== "api") {
        // The CSRF token was re-masked for the new render (§3.7) and still verifies.
        assert.notEqual(csrfOf(rendered as never), csrfOf(flow as never));
        const retry = await actor.submit(rendered, c.success(actor));
        assert.ok(retry.status === 303 || retry.status === 200, `retry: ${retry.status}`);
        assert.equal((await actor.fetchFlow(String(flow.id))).state, "success");
      }
    });

    test(`${label}: needs re-authentication`, async (t) => {
      const { s, actor } = await setup(t, kind);
      const before = await snapshot(s, actor.identityId);
      s.clock.advance(HOUR + MINUTE); // older than privileged_session_max_age (1h)
      const flow = await actor.newFlow();
      const res = await actor.submit(flow, c.privileged(actor));
      const target = refreshLoginUrl(s, String(flow.id));
      if (kind === "browser") {
        assert.equal(res.status, 303, await res.clone().text());
        assert.equal(res.headers.get("location"), target);
        assert.ok(hasContinuityCookie(res), "the paused change is bound to a continuity cookie");
        const cookie = res.headers.getSetCookie().find((c) => c.startsWith("ory_kratos_continuity="))!;
        assert.match(cookie, /; Path=\/(;|$)/);
        assert.match(cookie, /; HttpOnly/i);
        assert.match(cookie, /; SameSite=Lax/i);
        assert.match(cookie, /; Max-Age=900/);
      } else {
        assert.equal(res.status, 403, await res.clone().text());
        const body = await bodyOf(res.clone());
        assertSchema("needsPrivilegedSessionError", body);
        const error = await errorOf(res, "needsPrivilegedSessionError");
        assert.equal(error.id, "session_refresh_required");
        assert.equal(
          error.reason,
          "The login session is too old and thus not allowed to update these fields. Please re-authenticate.",
        );
        assert.equal(body.redirect_browser_to, target);
        if (kind === "spa") assert.ok(hasContinuityCookie(res), "SPA responses carry the continuity cookie");
        else assertNoCookies(res);
      }
      const after = await actor.fetchFlow(String(flow.id));
      assert.equal(after.state, "show_form", "nothing is persisted");
      await assertUnchanged(s, before);
    });

    test(`${label}: CSRF failure`, async (t) => {
      const { s, actor } = await setup(t, kind);
      const before = await snapshot(s, actor.identityId);
      const flow = await actor.newFlow();
      // A well-formed token, masked from some other browser's CSRF cookie.
      const foreign = csrfOf((await spaFlow(s, (await registerBrowser(s, "eve@example.com")).jar)) as never);
      if (kind === "api") {
        // Api flows skip CSRF entirely (§9.3): an invalid csrf_token in the body is ignored.
        const ok = await actor.submit(flow, { ...c.success(actor), csrf_token: foreign });
        assert.equal(ok.status, 200, await ok.clone().text());
        assert.equal((await flowOf(ok)).state, "success");
        return;
      }
      const res = await actor.submit(flow, c.success(actor), { csrf: foreign });
      if (kind === "browser") {
        const error = await storedErrorOf(s, res);
        assert.equal(error.id, "security_csrf_violation");
        assert.equal(error.code, 403);
      } else {
        assert.equal(res.status, 403, await res.clone().text());
        const error = await errorOf(res);
        assert.equal(error.id, "security_csrf_violation");
        assert.match(String((error.details as Json).reject_reason), /do not match/);
      }
      await assertUnchanged(s, before);
    });

    test(`${label}: expired flow`, async (t) => {
      const { s, actor } = await setup(t, kind);
      const before = await snapshot(s, actor.identityId);
      const flow = await actor.newFlow();
      s.clock.advance(HOUR + 5 * MINUTE); // past the 1h lifespan
      const res = await actor.submit(flow, c.success(actor));
      let replacementId: string;
      if (kind === "browser") {
        replacementId = flowIdFromUiRedirect(s, res);
        assert.notEqual(replacementId, flow.id, "a NEW flow");
      } else {
        assert.equal(res.status, 410, await res.clone().text());
        const body = await bodyOf(res.clone());
        assertSchema("selfServiceFlowExpiredError", body);
        const error = await errorOf(res, "selfServiceFlowExpiredError");
        assert.equal(error.id, "self_service_flow_expired");
        assert.equal(error.reason, "The self-service flow expired 5.00 minutes ago, initialize a new one.");
        assert.equal(body.expired_at, flow.expires_at);
        assert.equal(body.since, 5 * MINUTE * 1_000_000);
        replacementId = String(body.use_flow_id);
        assert.notEqual(replacementId, flow.id);
        if (kind === "api") assertNoCookies(res);
      }
      const replacement = await actor.fetchFlow(replacementId);
      assert.equal(replacement.type, flow.type);
      assert.equal(replacement.state, "show_form");
      assert.deepEqual(globalMessageIds(replacement), [4050001]);
      const msg = (replacement.ui as { messages: { text: string; context: Json }[] }).messages[0]!;
      assert.equal(msg.text, "The settings flow expired 5.00 minutes ago, please try again.");
      assert.equal(msg.context.expired_at, flow.expires_at);
      await assertUnchanged(s, before);
    });

    test(`${label}: another identity's flow`, async (t) => {
      const { s, actor } = await setup(t, kind);
      const victim = await makeActor(s, kind, "victim@example.com");
      const before = await snapshot(s, victim.identityId);
      const flow = await victim.newFlow();
      const res = await actor.submit(flow, c.success(actor));
      const reason =
        "The request was initiated by someone else and has been blocked for security reasons. Please go back and try again.";
      if (kind === "browser") {
        const error = await storedErrorOf(s, res);
        assert.equal(error.id, "security_identity_mismatch");
        assert.equal(error.reason, reason);
      } else {
        assert.equal(res.status, 403, await res.clone().text());
        const error = await errorOf(res);
        assert.equal(error.id, "security_identity_mismatch");
        assert.equal(error.reason, reason);
      }
      await assertUnchanged(s, before);
    });

    test(`${label}: method disabled`, async (t) => {
      const { s, actor } = await setupDisabled(t, kind, c.disabled);
      const before = await snapshot(s, actor.identityId);
      const flow = await actor.newFlow();
      assert.equal(
        (flow.ui as { nodes: { group: string }[] }).nodes.some((n) => n.group === c.method),
        false,
        "a disabled method has no nodes",
      );
      const res = await actor.submit(flow, c.success(actor));
      const reason =
        "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it.";
      if (kind !== "browser") assert.equal(res.status, 404, await res.clone().text());
      const error = kind === "browser" ? await storedErrorOf(s, res) : await errorOf(res);
      assert.equal(error.code, 404);
      assert.equal(error.reason, reason);
      await assertUnchanged(s, before);
    });
  }
}

/**
 * A server with the method disabled. Disabling password also disables registration with a password,
 * so the user is registered on a default server first and the second server shares its database.
 */
async function setupDisabled(t: Parameters<typeof server>[0], kind: CallerKind, disabled: ConfigInput) {
  const first = await server(t);
  const actor = await makeActor(first, kind);
  const s = await startTestServer(disabled, { dsn: first.app.deps.config.raw.dsn });
  t.after(() => s.close());
  // The same user (same session) on the second server.
  return { s, actor: bindActor(s, actor) };
}
