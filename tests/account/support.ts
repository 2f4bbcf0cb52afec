import type { ConfigInput } from "../../server/config/schema.ts";

/**
 * The flows that switch pending address changes on as Kratos master spells it: verification, and
 * the settings after-hooks that hold a new address and tell the previous ones.
 */
export const HELD_ADDRESS_CHANGE_FLOWS: NonNullable<NonNullable<ConfigInput["selfservice"]>["flows"]> = {
  verification: { enabled: true },
  settings: {
    after: {
      profile: { hooks: [{ hook: "verify_new_address" }, { hook: "notify_previous_addresses" }] },
    },
  },
};
