import type { HookConfig } from "../../config/schema.ts";

interface AfterBlock {
  default_browser_return_url?: string | undefined;
  hooks: HookConfig[];
}

/**
 * A flow's `after` configuration for one method (contract §11.1, §11.3): the method's hooks, or the
 * flow's global list when the method has none (not merged), and where browsers go afterwards.
 */
export function afterFor(
  after: AfterBlock,
  method: string,
): { hooks: readonly HookConfig[]; returnUrl?: string } {
  const own = (after as unknown as Record<string, AfterBlock | undefined>)[method];
  const ownHooks = own && Array.isArray(own.hooks) ? own.hooks : [];
  const returnUrl = own?.default_browser_return_url ?? after.default_browser_return_url;
  return { hooks: ownHooks.length > 0 ? ownHooks : after.hooks, ...(returnUrl ? { returnUrl } : {}) };
}
