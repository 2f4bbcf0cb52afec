import assert from "node:assert/strict";
import { ResponseError, type UpdateSettingsFlowBody } from "@ory/client-fetch";
import {
  apiFlow,
  browserFlow,
  type CookieJar,
  csrfOf,
  fetchFlow,
  form,
  type Json,
  nativeSdk,
  registerApi,
  registerBrowser,
  sdk,
  spaFlow,
  submitUrl,
  type TestServer,
} from "./helpers.ts";

/**
 * The three callers of contract §0.1 behind one interface, so the response matrix (§4.4.2) can be
 * walked row by row for each of them: a server-side browser posting forms (raw HTTP, cookie jar),
 * an SPA using the official SDK with cookies, and a native app using the SDK with a session token.
 */
export type CallerKind = "browser" | "spa" | "api";
export const CALLERS: readonly CallerKind[] = ["browser", "spa", "api"];

export interface Actor {
  kind: CallerKind;
  identityId: string;
  email: string;
  jar?: CookieJar;
  token?: string;
  newFlow(): Promise<Json>;
  fetchFlow(id: string): Promise<Json>;
  /** Submits `body` to the flow; browser callers add the flow's CSRF token unless `csrf` is given. */
  submit(flow: Json, body: Json, opts?: { csrf?: string }): Promise<Response>;
}

/** `{traits: {name: {first: "A"}}}` ⇒ `{"traits.name.first": "A"}` (form posts, contract §5.1). */
export function flatten(value: Json, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flatten(v as Json, key));
    else if (v !== undefined) out[key] = String(v);
  }
  return out;
}

/** The Response of an SDK call, whether it succeeded or not. */
export async function sdkResponse(call: () => Promise<{ raw: Response }>): Promise<Response> {
  try {
    return (await call()).raw;
  } catch (err) {
    if (err instanceof ResponseError) return err.response;
    throw err;
  }
}

export async function makeActor(s: TestServer, kind: CallerKind, email = "ada@example.com"): Promise<Actor> {
  if (kind === "api") {
    const user = await registerApi(s, email);
    return bindActor(s, { kind, identityId: user.identityId, email, token: user.token });
  }
  const user = await registerBrowser(s, email);
  return bindActor(s, { kind, identityId: user.identityId, email, jar: user.jar });
}

/** Binds a registered user's credentials to a server (also used to move a user to a second server). */
export function bindActor(
  s: TestServer,
  who: Pick<Actor, "kind" | "identityId" | "email" | "jar" | "token">,
): Actor {
  const { kind, jar, token } = who;
  if (kind === "api") {
    assert.ok(token);
    return {
      ...who,
      newFlow: () => apiFlow(s, token),
      fetchFlow: (id) => fetchFlow(s, token, id),
      submit: (flow, body) =>
        sdkResponse(() =>
          nativeSdk(s).updateSettingsFlowRaw({
            flow: String(flow.id),
            xSessionToken: token,
            updateSettingsFlowBody: body as unknown as UpdateSettingsFlowBody,
          }),
        ),
    };
  }
  assert.ok(jar);
  if (kind === "browser") {
    return {
      ...who,
      newFlow: () => browserFlow(s, jar),
      fetchFlow: (id) => fetchFlow(s, jar, id),
      submit: (flow, body, opts) =>
        jar.fetch(
          submitUrl(s, flow.id),
          form({ ...flatten(body), csrf_token: opts?.csrf ?? csrfOf(flow as never) }),
        ),
    };
  }
  return {
    ...who,
    newFlow: () => spaFlow(s, jar),
    fetchFlow: (id) => fetchFlow(s, jar, id),
    submit: (flow, body, opts) =>
      sdkResponse(() =>
        sdk(s, jar).updateSettingsFlowRaw({
          flow: String(flow.id),
          updateSettingsFlowBody: {
            ...body,
            csrf_token: opts?.csrf ?? csrfOf(flow as never),
          } as unknown as UpdateSettingsFlowBody,
        }),
      ),
  };
}

/** Asserts a response sets no cookies at all (api flows, contract §4.2 / §20.7). */
export function assertNoCookies(res: Response): void {
  assert.deepEqual(res.headers.getSetCookie(), [], "no Set-Cookie");
}
