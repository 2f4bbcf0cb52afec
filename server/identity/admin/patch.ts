import type { Operation } from "fast-json-patch";
import { jsonPatchDocumentSchema, type PatchedIdentity, patchedIdentitySchema } from "#shared/admin.ts";
import type { IdentityJson } from "#shared/identity.ts";
import type { FullIdentity, RecoveryAddressRecord, VerifiableAddressRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import { errors } from "../../request/errors.ts";
import { verifiedAtOf } from "./imports.ts";
import { commitAdminChange, loadIdentity, parseInput, toAdminIdentityJson } from "./shared.ts";
import { revise } from "./write.ts";

type JsonPatch = typeof import("fast-json-patch")["default"];

/** Loaded with the first PATCH: no server needs it to start. */
let jsonPatchModule: Promise<JsonPatch> | undefined;
function loadJsonPatch(): Promise<JsonPatch> {
  jsonPatchModule ??= import("fast-json-patch").then((m) => m.default);
  return jsonPatchModule;
}

/** `PATCH /admin/identities/{id}`: RFC 6902 patches of the admin identity JSON. */

/** JSON pointers a patch may not change (Kratos: id, state_changed_at, credentials). */
const READ_ONLY_POINTERS = [
  "/id",
  "/state_changed_at",
  "/credentials",
  "/created_at",
  "/updated_at",
  "/schema_url",
];

function isReadOnlyPointer(pointer: string): boolean {
  // "" is the whole document, which includes every read-only field.
  return pointer === "" || READ_ONLY_POINTERS.some((p) => pointer === p || pointer.startsWith(`${p}/`));
}

const patchFailed = (why: string, details?: Record<string, unknown>) =>
  errors.badRequest(`failed to apply JSON patch: ${why}`, details ? { details } : {});

/** Operations that would change a read-only field; `test` and the source of `copy` only read. */
function refuseReadOnlyChanges(operations: readonly Operation[]): void {
  operations.forEach((operation, index) => {
    const from = "from" in operation ? operation.from : undefined;
    const changed = [
      operation.op === "test" ? undefined : operation.path,
      operation.op === "move" ? from : undefined,
    ];
    const denied = changed.find((pointer) => pointer !== undefined && isReadOnlyPointer(pointer));
    if (denied !== undefined) {
      throw patchFailed(`the path "${denied}" cannot be changed`, { operation: index });
    }
  });
}

function applyJsonPatch(jsonpatch: JsonPatch, document: IdentityJson, operations: Operation[]): unknown {
  try {
    return jsonpatch.applyPatch(structuredClone(document), operations, true, true).newDocument;
  } catch (err) {
    if (err instanceof jsonpatch.JsonPatchError) {
      // The library's message continues with the whole document; the first line says what failed.
      const why = err.message.split("\n")[0] ?? err.name;
      throw patchFailed(why, { operation: err.index, name: err.name });
    }
    throw err;
  }
}

/** Address records from the patched JSON: known ids keep their record's identity and timestamps. */
function patchedVerifiableAddresses(
  current: FullIdentity,
  patched: PatchedIdentity,
  now: Date,
): VerifiableAddressRecord[] {
  const byId = new Map(current.verifiableAddresses.map((a) => [a.id, a]));
  return (patched.verifiable_addresses ?? []).map((a) => {
    const known = a.id ? byId.get(a.id) : undefined;
    const next: VerifiableAddressRecord = {
      id: known?.id ?? crypto.randomUUID(),
      identityId: current.id,
      value: a.value,
      via: a.via,
      verified: a.verified,
      status: a.status,
      verifiedAt: verifiedAtOf(a, known?.verifiedAt ?? now),
      createdAt: known?.createdAt ?? now,
      updatedAt: known?.updatedAt ?? now,
    };
    const unchanged =
      known &&
      known.value === next.value &&
      known.verified === next.verified &&
      known.status === next.status &&
      known.verifiedAt?.getTime() === next.verifiedAt?.getTime();
    return unchanged ? known : { ...next, updatedAt: now };
  });
}

function patchedRecoveryAddresses(
  current: FullIdentity,
  patched: PatchedIdentity,
  now: Date,
): RecoveryAddressRecord[] {
  const byId = new Map(current.recoveryAddresses.map((a) => [a.id, a]));
  return (patched.recovery_addresses ?? []).map((a) => {
    const known = a.id ? byId.get(a.id) : undefined;
    if (known && known.value === a.value && known.via === a.via) return known;
    return {
      id: known?.id ?? crypto.randomUUID(),
      identityId: current.id,
      value: a.value,
      via: a.via,
      createdAt: known?.createdAt ?? now,
      updatedAt: now,
    };
  });
}

/**
 * `PATCH /admin/identities/{id}`: an RFC 6902 patch applied to the admin identity JSON, then the
 * same path as PUT. Patching `verifiable_addresses/…/verified` is how admins mark addresses verified.
 * The operations are applied to the identity's current state inside the commit's transaction, so
 * concurrent patches of different fields all survive (and `test` operations test the current state).
 */
export async function patchIdentity(deps: AppDeps, id: string, input: unknown): Promise<IdentityJson> {
  const operations = parseInput(
    jsonPatchDocumentSchema,
    input,
    "failed to apply JSON patch: ",
  ) as Operation[];
  refuseReadOnlyChanges(operations);
  const jsonpatch = await loadJsonPatch();
  const loaded = await loadIdentity(deps, id);
  const committed = await commitAdminChange(deps, loaded, (current) =>
    patched(deps, jsonpatch, current, operations),
  );
  deps.audit("identity.patched", { by: "admin", identity_id: committed.id });
  return toAdminIdentityJson(deps, committed);
}

/** The identity with the operations applied; throws the patch's 400s. */
function patched(deps: AppDeps, jsonpatch: JsonPatch, current: FullIdentity, operations: Operation[]) {
  const patched = parseInput(
    patchedIdentitySchema,
    applyJsonPatch(jsonpatch, toAdminIdentityJson(deps, current), operations),
    "The patched identity is invalid: ",
  );
  if (patched.organization_id) throw errors.badRequest("Organizations are not supported by this server.");
  const now = deps.clock.now();
  return revise(deps, current, {
    schemaId: patched.schema_id,
    traits: patched.traits,
    state: patched.state,
    metadataPublic: patched.metadata_public,
    metadataAdmin: patched.metadata_admin,
    externalId: patched.external_id || null,
    verifiableAddresses: patchedVerifiableAddresses(current, patched, now),
    recoveryAddresses: patchedRecoveryAddresses(current, patched, now),
  });
}
