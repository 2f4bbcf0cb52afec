import type { AppDeps } from "../deps.ts";
import { purgeDueDeletions } from "./service.ts";

/** How often `serve` deletes due accounts and history past its retention. */
const INTERVAL_MS = 60_000;

/** One pass: accounts whose grace period is over, then history entries past retention. */
export async function runAccountMaintenance(deps: AppDeps): Promise<{ accounts: number; events: number }> {
  const accounts = deps.config.raw.account.deletion.enabled ? await purgeDueDeletions(deps) : 0;
  const cutoff = new Date(deps.clock.now().getTime() - deps.config.ms.historyRetention);
  const events = await deps.store.deleteSecurityEventsBefore(cutoff);
  return { accounts, events };
}

/** Runs the maintenance pass periodically in the server process; returns a stop function. */
export function startAccountMaintenance(deps: AppDeps): () => void {
  const timer = setInterval(() => {
    runAccountMaintenance(deps).catch((err) =>
      deps.logger.error("account maintenance failed", { error: String(err) }),
    );
  }, INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
