import { z } from "zod";
import type { IdentityJson } from "#shared/identity.ts";
import type { AppDeps } from "../../deps.ts";
import { errors, HttpError } from "../../request/errors.ts";
import { includedCredentialTypes, parseInput, toAdminIdentityJson } from "./shared.ts";
import { createIdentity } from "./write.ts";

/**
 * `PATCH /admin/identities` (Kratos's batchPatchIdentities): creates many identities in one call,
 * each on its own, so one bad item (invalid traits, a duplicate, an unusable hash) is reported in
 * its slot and the others are created. Limits and their wording are Kratos's: at most 1000 items,
 * at most 200 with a plaintext password (hashing them is the slow part).
 */

export const BATCH_LIMIT = 1000;
export const BATCH_PLAINTEXT_LIMIT = 200;

const batchBodySchema = z.strictObject({
  identities: z
    .array(
      z.strictObject({
        create: z.unknown().optional(),
        patch_id: z.uuid().nullish(),
      }),
    )
    .nullish(),
});

export interface BatchItemResult {
  action: "create" | "error";
  identity?: string;
  patch_id?: string;
  error?: Record<string, unknown>;
}

function hasPlaintextPassword(create: unknown): boolean {
  const password = (create as { credentials?: { password?: { config?: { password?: unknown } } } } | null)
    ?.credentials?.password?.config?.password;
  return typeof password === "string" && password !== "";
}

export async function batchCreateIdentities(
  deps: AppDeps,
  input: unknown,
): Promise<{ identities: BatchItemResult[] }> {
  const body = parseInput(batchBodySchema, input, "The request body is invalid: ");
  const items = body.identities ?? [];
  if (items.length > BATCH_LIMIT) {
    throw errors.badRequest(
      `The maximum number of identities per request that can be created or deleted at once is ${BATCH_LIMIT}.`,
    );
  }
  if (items.filter((item) => hasPlaintextPassword(item.create)).length > BATCH_PLAINTEXT_LIMIT) {
    throw errors.badRequest(
      `The maximum number of identities per request that can be created with a plaintext password is ${BATCH_PLAINTEXT_LIMIT}.`,
    );
  }
  const results: BatchItemResult[] = [];
  for (const item of items) {
    const patchId = item.patch_id ? { patch_id: item.patch_id } : {};
    try {
      // Kratos leaves the slot of an item without `create` empty (null); an error entry says why.
      if (item.create === undefined || item.create === null) {
        throw errors.badRequest("The patch has nothing to do: `create` is missing.");
      }
      const created = await createIdentity(deps, item.create);
      results.push({ action: "create", identity: created.id, ...patchId });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      results.push({ action: "error", ...patchId, error: error.toGeneric() as Record<string, unknown> });
    }
  }
  return { identities: results };
}

/** `GET /admin/identities/by/external/{externalID}`: the identity whose `external_id` matches. */
export async function getIdentityByExternalId(
  deps: AppDeps,
  externalId: string,
  options: { includeCredential?: readonly string[] } = {},
): Promise<IdentityJson> {
  const include = includedCredentialTypes(options.includeCredential);
  const page = await deps.store.listIdentities({ pageSize: 1, externalId });
  const found = page.identities[0];
  if (!found) throw errors.notFound();
  return toAdminIdentityJson(deps, found, include);
}
