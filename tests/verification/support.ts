import type { ConfigInput } from "../../server/config/schema.ts";
import { server } from "../helpers/frontend.ts";

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
