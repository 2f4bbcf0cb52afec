import type { ConfigInput } from "../../server/config/schema.ts";
import { registerNative, server } from "../helpers/frontend.ts";
import type { TestServer } from "../helpers/server.ts";

/** A server with verification and recovery switched on (code method, the defaults). */
export function enabledServer(t: { after(fn: () => Promise<void> | void): void }, extra: ConfigInput = {}) {
  return server(t, {
    ...extra,
    selfservice: {
      ...extra.selfservice,
      flows: {
        ...extra.selfservice?.flows,
        verification: { enabled: true, ...extra.selfservice?.flows?.verification },
        recovery: { enabled: true, ...extra.selfservice?.flows?.recovery },
        registration: {
          ...extra.selfservice?.flows?.registration,
          after: {
            password: { hooks: [{ hook: "session" }, { hook: "show_verification_ui" }] },
            ...extra.selfservice?.flows?.registration?.after,
          },
        },
      },
    },
  });
}

/**
 * Registers through the native flow, then moves the clock on a second: the registration's own
 * verification mail is then older than any mail the test asks for next.
 */
export async function registered(s: TestServer, email = "ada@example.com") {
  const out = await registerNative(s, email);
  s.clock.advance(1000);
  return out;
}
