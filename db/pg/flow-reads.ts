/**
 * A settings submission's flow and its identity's pending address change, for many submissions in
 * one statement (`TurnBatch`): $1 the flow ids, $2 for each the identity whose change to bring.
 */
import { getTableColumns, type Table } from "drizzle-orm";
import type { AddressChangeRecord, FlowRecord } from "../store.ts";
import { addressChanges, selfserviceFlows } from "./schema.ts";

/** `alias."column" as "prefix + key"` for each column: the row comes back keyed like the record. */
function selectAs(table: Table, alias: string, prefix: string): string {
  return Object.entries(getTableColumns(table))
    .map(([key, column]) => `${alias}."${column.name}" as "${prefix}${key}"`)
    .join(", ");
}

const CHANGE = "change.";

export const FLOWS_AND_PENDING_CHANGES_SQL = `select q.n, ${selectAs(selfserviceFlows, "f", "")},
  ${selectAs(addressChanges, "c", CHANGE)}
from unnest($1::text[], $2::text[]) with ordinality as q(flow_id, identity_id, n)
join selfservice_flows f on f.id = q.flow_id
left join lateral (select * from address_changes a where a.identity_id = q.identity_id and a.status = 'pending'
  order by a.created_at desc limit 1) c on true`;

export type FlowAndChangeRow = Record<string, unknown> & { n: string };

/**
 * The flow and the change of one row. node-pg already parses timestamptz into Dates and jsonb into
 * values, which is what drizzle's mapping of these columns gives.
 */
export function flowAndChangeOf(row: FlowAndChangeRow): {
  flow: FlowRecord;
  pendingChange: AddressChangeRecord | undefined;
} {
  const flow: Record<string, unknown> = {};
  const change: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === "n") continue;
    if (key.startsWith(CHANGE)) change[key.slice(CHANGE.length)] = value;
    else flow[key] = value;
  }
  return {
    flow: flow as unknown as FlowRecord,
    pendingChange: change.id === null ? undefined : (change as unknown as AddressChangeRecord),
  };
}
