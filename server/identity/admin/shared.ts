import type { z } from "zod";
import { credentialTypeSchema } from "#shared/admin.ts";
import type { IdentityJson } from "#shared/identity.ts";
import { ConflictError, type FullIdentity } from "../../../db/store.ts";
import { appCipher, openOidcTokens } from "../../crypto/cipher.ts";
import type { AppDeps } from "../../deps.ts";
import { errors, type HttpError } from "../../request/errors.ts";
import { type AppliedChange, type CommitResult, commitIdentityChange, type IdentityPart } from "../commit.ts";
import { identityToJson } from "../serialize.ts";
import type { TraitIssue } from "../validate.ts";

/**
 * What the admin identity and session services share: limits, input parsing, Kratos's error
 * envelopes, and reading and storing an identity with the admin API's error mapping.
 */

export const DEFAULT_PAGE_SIZE = 250;
/** Larger page sizes are clamped, as Kratos's paginator does. */
export const MAX_PAGE_SIZE = 1000;
/** Kratos's limit for the `ids` filter. */
export const MAX_IDS_FILTER = 500;

/** The `page_size` parameter: 1..MAX_PAGE_SIZE (larger values are clamped); default 250. */
export function pageSizeOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(value) || value < 1) {
    throw errors.badRequest("The page size must be a positive integer.");
  }
  return Math.min(value, MAX_PAGE_SIZE);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export const notFound = () => errors.notFound();

const identityConflict = () =>
  errors.conflict("This identity conflicts with another identity that already exists.");

/** Zod issues as one readable reason: unknown keys are named with their full path. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): { reason: string; list: string[] } {
  const list: string[] = [];
  for (const issue of issues) {
    const at = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) list.push(`unknown field "${at ? `${at}.${key}` : key}"`);
    } else {
      list.push(`${at || "body"}: ${issue.message}`);
    }
  }
  return { reason: list.join("; "), list };
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const { reason, list } = describeIssues(parsed.error.issues);
  throw errors.badRequest(`${prefix}${reason}`, { details: { issues: list } });
}

/** 400 listing every trait message, path first, as Kratos's validation error reason does. */
export function invalidTraits(issues: readonly TraitIssue[]): HttpError {
  const reason = issues.map((i) => (i.path ? `${i.path}: ${i.message.text}` : i.message.text)).join("; ");
  return errors.badRequest(`The identity's traits are invalid: ${reason}`, {
    details: { messages: issues.map((i) => ({ path: i.path, ...i.message })) },
  });
}

/** Validates `include_credential` values; Kratos refuses unknown credential types. */
export function includedCredentialTypes(values: readonly string[] | undefined): string[] {
  const types: string[] = [];
  for (const value of values ?? []) {
    if (!credentialTypeSchema.safeParse(value).success) {
      throw errors.badRequest(`Invalid value "${value}" for parameter include_credential.`);
    }
    types.push(value);
  }
  return types;
}

export function toAdminIdentityJson(
  deps: AppDeps,
  identity: FullIdentity,
  includeCredential: readonly string[] = [],
): IdentityJson {
  return identityToJson(identity, {
    publicBaseUrl: deps.config.publicBase,
    admin: true,
    includeCredentialConfig: includeCredential,
    openConfig: (c) => (c.type === "oidc" ? openOidcTokens(appCipher(deps), c.config) : c.config),
  });
}

export async function loadIdentity(deps: AppDeps, id: string): Promise<FullIdentity> {
  // Kratos turns an unparsable id into the nil UUID, which is then simply not found.
  if (!isUuid(id)) throw notFound();
  const identity = await deps.store.getIdentity(id.toLowerCase());
  if (!identity) throw notFound();
  return identity;
}

export async function storeNew(deps: AppDeps, identity: FullIdentity): Promise<FullIdentity> {
  try {
    return await deps.store.createIdentity(identity);
  } catch (err) {
    if (err instanceof ConflictError) throw identityConflict();
    throw err;
  }
}

/**
 * Commits an admin change: `apply` runs on the identity's current state inside the store's
 * transaction, so concurrent admin writes (and self-service ones) cannot revert each other. Admin
 * changes say what to set, not what they saw, so they depend on nothing and are re-applied.
 */
export async function commitAdminChange(
  deps: AppDeps,
  decidedOn: FullIdentity,
  apply: (current: FullIdentity) => AppliedChange,
  dependsOn: ReadonlyArray<IdentityPart> = [],
): Promise<FullIdentity> {
  let result: CommitResult;
  try {
    result = await commitIdentityChange(deps, { decidedOn, apply, dependsOn });
  } catch (err) {
    if (err instanceof ConflictError) throw identityConflict();
    throw err;
  }
  switch (result.kind) {
    case "committed":
      return result.identity;
    case "rejected":
      throw invalidTraits(result.issues);
    case "conflict":
      throw errors.conflict(
        "The identity was changed by another request while this one was processed. Fetch it and try again.",
      );
    default:
      // Deleted by someone else between our read and this write (no session guard on admin writes).
      throw notFound();
  }
}
