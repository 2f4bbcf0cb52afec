import { type AnyColumn, type SQL, sql } from "drizzle-orm";

/** The state of a flow whose challenge was passed: it cannot be used again, so it is terminal. */
export const USED_FLOW_STATE = "passed_challenge";

/**
 * The `state` value of a flow update: the given one, unless the stored flow is used. A request
 * that loaded the flow before another one used it must not reopen it by writing its older copy.
 */
export function keepUsedState(state: AnyColumn): SQL {
  return sql`case when ${state} = ${sql.raw(`'${USED_FLOW_STATE}'`)} then ${state} else ${sql.placeholder("state")} end`;
}
