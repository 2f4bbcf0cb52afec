import type { AppDeps } from "../../deps.ts";
import type { PasswordHasher } from "../../methods/password/hasher.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";

/**
 * Dry runs (docs/account-features.md): a settings or registration submission with `dry_run` — the
 * query parameter `?dry_run=true` or a body field `dry_run: true` — goes through decoding,
 * validation, CSRF and the method's checks, and answers with the flow and its messages, but writes
 * nothing: no identity, no flow update, no hooks, no paused submission. Front ends use it to show
 * field errors while the person types.
 */
const TRUE = new Set(["true", "1"]);

/** Whether the submission asks for a dry run; the `dry_run` field is taken out of the values. */
export function takeDryRun(ctx: RequestContext, values: FormValues): boolean {
  const field = values.get("dry_run");
  values.delete("dry_run");
  const query = ctx.url.searchParams.get("dry_run");
  return (query !== null && TRUE.has(query)) || (field !== undefined && TRUE.has(String(field.at(-1))));
}

/** Dependencies for a dry run: hashing is skipped (nothing will be stored, and hashing is the cost). */
export function dryRunDeps(deps: AppDeps): AppDeps {
  const real = deps.hasher;
  const hasher: PasswordHasher = {
    algorithm: real.algorithm,
    maxBytes: real.maxBytes,
    // Methods check the length limit (maxBytes) before hashing, so skipping the hash skips no check.
    hash: async () => "dry-run: not hashed",
    verify: (password, stored) => real.verify(password, stored),
    needsRehash: (stored) => real.needsRehash(stored),
    dummyVerify: (password) => real.dummyVerify(password),
  };
  return { ...deps, hasher };
}
