import type { UiText } from "#shared/ui.ts";
import type { CredentialType } from "../../db/store.ts";
import { message, reasonMessage } from "../ui/messages.ts";
import { isEmail } from "./email.ts";
import type { AddressVia, ExtensionPlan, ExtensionSite } from "./extension-plan.ts";
import { goQuote } from "./go-format.ts";
import { normalizeEmail, normalizeIdentifier, normalizePhone } from "./normalize.ts";
import type { TraitIssue } from "./validate.ts";

/**
 * Derives what the `ory.sh/kratos` extension says about a set of traits (contract §14.2):
 * credential identifiers, verifiable and recovery addresses. Reads values at the sites the
 * registry planned once per schema; no schema walking happens here.
 */

export interface AddressRef {
  value: string;
  via: AddressVia;
}

export interface DerivedTraits {
  /** Normalised, unique, in schema order; a key exists for every type the schema declares identifiers for. */
  identifiers: Partial<Record<CredentialType, string[]>>;
  verifiable: AddressRef[];
  recovery: AddressRef[];
  /** Where one-time login codes go (`credentials.code` with `via`). */
  codeAddresses: AddressRef[];
  /** First trait marked `credentials.totp.account_name`. */
  totpAccountName?: string;
  /** First trait marked `credentials.passkey.display_name`. */
  passkeyDisplayName?: string;
  /** Extension errors (e.g. an address that cannot be normalised), on the trait's path. */
  issues: TraitIssue[];
}

const NO_SMS_FORMAT =
  'no format specified. A format is required if verification is enabled. If this was intentional, please set "format" to "no-validate"';

/** Values found at a site, with their concrete dot paths; arrays of strings contribute each item. */
function valuesAt(traits: unknown, path: readonly string[]): { value: string; at: string }[] {
  const out: { value: string; at: string }[] = [];
  const visit = (value: unknown, depth: number, at: string): void => {
    if (depth === path.length) {
      if (typeof value === "string") out.push({ value, at });
      else if (Array.isArray(value))
        for (const [i, item] of value.entries()) visit(item, depth, `${at}.${i}`);
      return;
    }
    const segment = path[depth] as string;
    if (segment === "*") {
      if (Array.isArray(value)) for (const [i, item] of value.entries()) visit(item, depth + 1, `${at}.${i}`);
    } else if (typeof value === "object" && value !== null && Object.hasOwn(value, segment)) {
      visit((value as Record<string, unknown>)[segment], depth + 1, `${at}.${segment}`);
    }
  };
  visit(traits, 0, "traits");
  return out;
}

function addUnique(list: string[], value: string): void {
  if (value !== "" && !list.includes(value)) list.push(value);
}

function addAddress(list: AddressRef[], address: AddressRef): void {
  if (address.value !== "" && !list.some((a) => a.via === address.via && a.value === address.value)) {
    list.push(address);
  }
}

/**
 * Email addresses must be valid unless another format (e.g. `no-validate`) says otherwise. With
 * `format: email` the schema reports the same problem; checkTraits drops the repeat.
 */
function checksEmail(site: ExtensionSite): boolean {
  return site.format === undefined || site.format === "email";
}

export function deriveTraits(entry: { readonly extensions: ExtensionPlan }, traits: unknown): DerivedTraits {
  const plan = entry.extensions;
  const derived: DerivedTraits = {
    identifiers: {},
    verifiable: [],
    recovery: [],
    codeAddresses: [],
    issues: [],
  };
  for (const type of plan.identifierTypes) derived.identifiers[type] = [];
  const identifiers = derived.identifiers as Record<string, string[]>;

  for (const site of plan.sites) {
    const { credentials, verification, recovery } = site.config;
    for (const { value, at } of valuesAt(traits, site.path)) {
      // One value can feed several uses (code, verification, recovery); report each problem once.
      const issue = (text: UiText) => {
        const duplicate = derived.issues.some((i) => i.path === at && i.message.text === text.text);
        if (!duplicate) derived.issues.push({ path: at, message: text });
      };
      // Computed at most once per value, however many uses need them.
      let validEmail: boolean | undefined;
      let normalizedEmail: string | undefined;
      const invalidEmail = () => {
        if (!checksEmail(site)) return false;
        validEmail ??= isEmail(value);
        return !validEmail;
      };
      const email = () => {
        normalizedEmail ??= normalizeEmail(value) ?? value.trim().toLowerCase();
        return normalizedEmail;
      };

      if (credentials?.password?.identifier)
        addUnique(identifiers.password ?? [], normalizeIdentifier(value));
      if (credentials?.webauthn?.identifier)
        addUnique(identifiers.webauthn ?? [], normalizeIdentifier(value));
      if (credentials?.totp?.account_name && derived.totpAccountName === undefined) {
        derived.totpAccountName = value.trim();
      }
      if (credentials?.passkey?.display_name && derived.passkeyDisplayName === undefined) {
        derived.passkeyDisplayName = value.trim();
      }

      const code = credentials?.code;
      if (code?.identifier) {
        if (code.via === "email") {
          if (invalidEmail()) issue(message(4000040, [], { value }));
          else {
            addUnique(identifiers.code ?? [], email());
            addAddress(derived.codeAddresses, { value: email(), via: "email" });
          }
        } else if (code.via === "sms") {
          const phone = normalizePhone(value);
          if (!phone) issue(reasonMessage(`${goQuote(value)} is not valid "tel" for "sms"`));
          else {
            addUnique(identifiers.code ?? [], phone);
            addAddress(derived.codeAddresses, { value: phone, via: "sms" });
          }
        } else addUnique(identifiers.code ?? [], normalizeIdentifier(value));
      }

      const verifyVia = verification?.via;
      if (verifyVia === "email" || verifyVia === "sms") {
        const format = site.format ?? (verifyVia === "email" ? "email" : undefined);
        if (format === undefined) issue(reasonMessage(NO_SMS_FORMAT));
        else if (format === "email") {
          if (invalidEmail()) issue(message(4000040, [], { value }));
          else addAddress(derived.verifiable, { value: email(), via: verifyVia });
        } else if (format === "tel") {
          const phone = normalizePhone(value);
          if (!phone) issue(reasonMessage(`${goQuote(value)} can not be normalized for format "tel"`));
          else addAddress(derived.verifiable, { value: phone, via: verifyVia });
        } else addAddress(derived.verifiable, { value: value.trim(), via: verifyVia });
      }

      if (recovery?.via === "email") {
        if (invalidEmail()) issue(message(4000040, [], { value }));
        else addAddress(derived.recovery, { value: email(), via: "email" });
      } else if (recovery?.via === "sms") {
        const phone = normalizePhone(value);
        if (!phone) issue(reasonMessage(`${goQuote(value)} is not valid "tel" for "sms"`));
        else addAddress(derived.recovery, { value: phone, via: "sms" });
      }
    }
  }
  return derived;
}
