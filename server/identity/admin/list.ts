import type { IdentityJson } from "#shared/identity.ts";
import type { FullIdentity } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import { errors } from "../../request/errors.ts";
import { normalizeIdentifier } from "../normalize.ts";
import {
  includedCredentialTypes,
  isUuid,
  loadIdentity,
  MAX_IDS_FILTER,
  MAX_PAGE_SIZE,
  pageSizeOf,
  toAdminIdentityJson,
} from "./shared.ts";

/** Listing and reading identities: `GET /admin/identities` and `GET /admin/identities/{id}`. */

export interface ListIdentitiesInput {
  /** 1..1000 (larger values are clamped); default 250. */
  pageSize?: number;
  /** The `nextPageToken` of the previous page. */
  pageToken?: string;
  /** Legacy `page`/`per_page` pagination: identities to skip before this page. */
  offset?: number;
  /** At most 500; unknown and malformed ids are ignored. */
  ids?: readonly string[];
  /** Exact match on any credential identifier, normalised like login identifiers. */
  credentialsIdentifier?: string;
  /** Tessera has no organizations: the filter matches nothing. */
  organizationId?: string;
  /** Kratos's experimental similarity search; not supported. */
  credentialsIdentifierSimilar?: string;
  /** Credential types whose `config` is included. */
  includeCredential?: readonly string[];
}

export interface IdentityPage {
  identities: IdentityJson[];
  /** Present when another page may follow. */
  nextPageToken?: string;
}

/** Identity page tokens are the last id of the previous page (ids are listed in ascending order). */
function pageTokenOf(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!isUuid(value)) throw errors.badRequest("The page token is invalid. Start again from the first page.");
  return value.toLowerCase();
}

export async function listIdentities(deps: AppDeps, input: ListIdentitiesInput = {}): Promise<IdentityPage> {
  const filters = [
    input.ids !== undefined && input.ids.length > 0,
    !!input.credentialsIdentifier,
    !!input.organizationId,
    !!input.credentialsIdentifierSimilar,
  ].filter(Boolean).length;
  if (filters > 1) throw errors.badRequest("You cannot combine multiple filters in this API");
  const include = includedCredentialTypes(input.includeCredential);
  const pageSize = pageSizeOf(input.pageSize);
  let pageToken = pageTokenOf(input.pageToken);
  const serialize = (list: FullIdentity[]) => list.map((i) => toAdminIdentityJson(deps, i, include));

  if (input.credentialsIdentifierSimilar) {
    throw errors.badRequest("The preview_credentials_identifier_similar filter is not supported.");
  }
  if (input.organizationId) return { identities: [] };
  if (input.credentialsIdentifier) {
    return { identities: serialize(await findByIdentifier(deps, input.credentialsIdentifier)) };
  }

  let ids: string[] | undefined;
  if (input.ids !== undefined && input.ids.length > 0) {
    if (input.ids.length > MAX_IDS_FILTER) {
      throw errors.badRequest(`The ids filter accepts at most ${MAX_IDS_FILTER} ids.`);
    }
    ids = [...new Set(input.ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (ids.length === 0) return { identities: [] };
  }

  // Legacy offsets walk the keyset from the start; page numbers are rare and admin-only.
  for (let skip = input.offset ?? 0; skip > 0; ) {
    const chunk = await deps.store.listIdentities({
      pageSize: Math.min(skip, MAX_PAGE_SIZE),
      ...(pageToken ? { pageToken } : {}),
      ...(ids ? { ids } : {}),
    });
    if (chunk.nextPageToken === undefined) return { identities: [] };
    skip -= chunk.identities.length;
    pageToken = chunk.nextPageToken;
  }

  const page = await deps.store.listIdentities({
    pageSize,
    ...(pageToken ? { pageToken } : {}),
    ...(ids ? { ids } : {}),
  });
  return {
    identities: serialize(page.identities),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  };
}

/**
 * Identifiers are stored normalised (lower-cased email, E.164 phone), but OIDC identifiers
 * (`provider:subject`) are case-sensitive: the filter tries the normalised form and the value as
 * given. A credential identifier belongs to at most one identity per type, so there is no paging.
 */
async function findByIdentifier(deps: AppDeps, identifier: string): Promise<FullIdentity[]> {
  const found = new Map<string, FullIdentity>();
  for (const candidate of new Set([normalizeIdentifier(identifier), identifier])) {
    const page = await deps.store.listIdentities({
      pageSize: MAX_PAGE_SIZE,
      credentialsIdentifier: candidate,
    });
    for (const identity of page.identities) found.set(identity.id, identity);
  }
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function getIdentity(
  deps: AppDeps,
  id: string,
  options: { includeCredential?: readonly string[] } = {},
): Promise<IdentityJson> {
  const include = includedCredentialTypes(options.includeCredential);
  return toAdminIdentityJson(deps, await loadIdentity(deps, id), include);
}
