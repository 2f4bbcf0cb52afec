/**
 * The password policy (contract §13): the checks a new password must pass on registration, on a
 * settings password change and on admin import of a plaintext password. `check` answers with the
 * first failing message, ready to attach to the `password` node, or undefined when it passes.
 */

import type { UiText } from "#shared/ui.ts";
import type { Clock } from "../../clock.ts";
import type { Config } from "../../config/schema.ts";
import { message } from "../../ui/messages.ts";
import { createBreachLookup } from "./breach-lookup.ts";
import { isCommonPassword } from "./common-passwords.ts";
import type { PasswordHasher } from "./hasher.ts";
import { isTooSimilarToIdentifier } from "./similarity.ts";
import { utf8Length } from "./utf8.ts";

export type PasswordPolicyConfig = Config["selfservice"]["methods"]["password"]["config"];

export interface PasswordPolicyDeps {
  clock: Clock;
  /** Used for the breach API; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface PasswordPolicy {
  /**
   * First failing message, in the contract's order: minimum length, similarity to each of the
   * identity's password identifiers, the offline common-password list, breach count. Throws
   * HttpError 502 `upstream_error` when the breach API fails and network errors are not ignored.
   */
  check(password: string, identifiers: readonly string[]): Promise<UiText | undefined>;
}

const COMMON_PASSWORD_REASON = "it is among the most commonly used passwords";

export function createPasswordPolicy(config: PasswordPolicyConfig, deps: PasswordPolicyDeps): PasswordPolicy {
  const breaches = config.haveibeenpwned_enabled
    ? createBreachLookup({
        host: config.haveibeenpwned_host,
        ignoreNetworkErrors: config.ignore_network_errors,
        clock: deps.clock,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      })
    : undefined;
  // The list is loaded by the first check that needs it (about 15 ms once), not at start: it costs
  // about 8 MiB of memory that a server answering only whoami never needs.

  return {
    async check(password, identifiers) {
      const length = utf8Length(password);
      if (length < config.min_password_length) {
        return message(4000032, [config.min_password_length, length], {
          min_length: config.min_password_length,
          actual_length: length,
        });
      }
      if (config.identifier_similarity_check_enabled) {
        for (const identifier of identifiers) {
          if (isTooSimilarToIdentifier(identifier, password)) return message(4000031);
        }
      }
      if (config.common_passwords_check_enabled && (await isCommonPassword(password))) {
        return message(4000005, [COMMON_PASSWORD_REASON], { reason: COMMON_PASSWORD_REASON });
      }
      if (breaches) {
        const count = await breaches.count(password);
        if (count > config.max_breaches) return message(4000034, [], { breaches: count });
      }
      return undefined;
    },
  };
}

/**
 * 4000033 when the hasher would truncate the password (bcrypt reads 72 bytes); settings and
 * registration check it before hashing. Argon2 has no limit, so this never fires for it.
 */
export function checkMaxLength(
  password: string,
  hasher: Pick<PasswordHasher, "maxBytes">,
): UiText | undefined {
  if (hasher.maxBytes === undefined) return undefined;
  const length = utf8Length(password);
  if (length <= hasher.maxBytes) return undefined;
  return message(4000033, [hasher.maxBytes, length], { max_length: hasher.maxBytes, actual_length: length });
}
