/**
 * The admin identity service (contract §16.5): what `GET/POST/PUT/PATCH/DELETE /admin/identities…`
 * do, independent of transport. The REST routes and the admin tRPC router are thin adapters over
 * these functions; each takes raw input, validates it with the schemas in `shared/admin.ts`, throws
 * `HttpError` with Kratos's envelope on failure, and returns wire JSON. The admin session service
 * (`/admin/sessions…`, `/admin/identities/{id}/sessions`) is `server/session/admin.ts`.
 *
 * Every write builds the complete next identity in memory (traits validated, addresses and
 * identifiers derived, credentials hashed) and then stores it in one store call, which is one
 * transaction: a failure at any step leaves nothing behind.
 *
 * The modules under `admin/`:
 * - `shared.ts`: limits, input parsing, error envelopes, loading and storing an identity;
 * - `list.ts`: listing (keyset pages, filters) and reading;
 * - `write.ts`: create, replace (PUT), delete, delete one credential;
 * - `patch.ts`: JSON patches (PATCH);
 * - `imports.ts`: imported passwords, OIDC links and address verification;
 * - `batch.ts`: batch create (PATCH without an id) and lookup by external id.
 */

export { batchCreateIdentities, getIdentityByExternalId } from "./admin/batch.ts";
export { getIdentity, type IdentityPage, type ListIdentitiesInput, listIdentities } from "./admin/list.ts";
export { patchIdentity } from "./admin/patch.ts";
export {
  DEFAULT_PAGE_SIZE,
  isUuid,
  MAX_IDS_FILTER,
  MAX_PAGE_SIZE,
  toAdminIdentityJson,
} from "./admin/shared.ts";
export { createIdentity, deleteIdentity, deleteIdentityCredential, updateIdentity } from "./admin/write.ts";
