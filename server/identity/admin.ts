import jsonpatch, { type Operation } from "fast-json-patch";
import type { z } from "zod";
import {
  ConflictError,
  type CredentialRecord,
  type FullIdentity,
  type IdentityState,
  type RecoveryAddressRecord,
  type SessionRecord,
  type VerifiableAddressRecord,
} from "../../db/store.ts";
import {
  type CredentialsImport,
  createIdentityBodySchema,
  credentialTypeSchema,
  jsonPatchDocumentSchema,
  type PatchedIdentity,
  patchedIdentitySchema,
  updateIdentityBodySchema,
  type VerifiableAddressImport,
} from "../../shared/admin.ts";
import type { IdentityJson } from "../../shared/identity.ts";
import type { SessionJson } from "../../shared/session.ts";
import type { AppDeps } from "../deps.ts";
import { errors, HttpError } from "../http/errors.ts";
import { isSupportedHash } from "../methods/password/hasher.ts";
import { checkMaxLength } from "../methods/password/policy.ts";
import { message } from "../ui/messages.ts";
import { newIdentity, passwordIdentifiers, withPassword, withTraits } from "./manager.ts";
import { normalizeEmail, normalizeIdentifier, normalizePhone } from "./normalize.ts";
import { identityToJson } from "./serialize.ts";
import type { TraitIssue } from "./validate.ts";

/**
 * The admin identity service (contract §16.5): what `GET/POST/PUT/PATCH/DELETE /admin/identities…`
 * and `/admin/sessions…` do, independent of transport. The REST routes and the admin tRPC router
 * are thin adapters over these functions; each takes raw input, validates it with the schemas in
 * `shared/admin.ts`, throws `HttpError` with Kratos's envelope on failure, and returns wire JSON.
 *
 * Every write builds the complete next identity in memory (traits validated, addresses and
 * identifiers derived, credentials hashed) and then stores it in one store call, which is one
 * transaction: a failure at any step leaves nothing behind.
 */

// ---------------------------------------------------------------------------------------------
// Limits and shared errors
// ---------------------------------------------------------------------------------------------

export const DEFAULT_PAGE_SIZE = 250;
/** Larger page sizes are clamped, as Kratos's paginator does. */
export const MAX_PAGE_SIZE = 1000;
/** Kratos's limit for the `ids` filter. */
export const MAX_IDS_FILTER = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const notFound = () => errors.notFound();

const identityConflict = () =>
  new HttpError(409, { reason: "This identity conflicts with another identity that already exists." });

/** Kratos parses session ids strictly (400), unlike identity ids (an unparsable id is just not found). */
function sessionIdOrThrow(id: string): string {
  if (!isUuid(id)) throw errors.badRequest(`The session id "${id}" is not a valid UUID.`);
  return id.toLowerCase();
}

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

function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const { reason, list } = describeIssues(parsed.error.issues);
  throw errors.badRequest(`${prefix}${reason}`, { details: { issues: list } });
}

/** 400 listing every trait message, path first, as Kratos's validation error reason does. */
function invalidTraits(issues: readonly TraitIssue[]): HttpError {
  const reason = issues.map((i) => (i.path ? `${i.path}: ${i.message.text}` : i.message.text)).join("; ");
  return errors.badRequest(`The identity's traits are invalid: ${reason}`, {
    details: { messages: issues.map((i) => ({ path: i.path, ...i.message })) },
  });
}

/** Validates `include_credential` values; Kratos refuses unknown credential types. */
function includedCredentialTypes(values: readonly string[] | undefined): string[] {
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
  });
}

async function loadIdentity(deps: AppDeps, id: string): Promise<FullIdentity> {
  // Kratos turns an unparsable id into the nil UUID, which is then simply not found.
  if (!isUuid(id)) throw notFound();
  const identity = await deps.store.getIdentity(id.toLowerCase());
  if (!identity) throw notFound();
  return identity;
}

async function storeNew(deps: AppDeps, identity: FullIdentity): Promise<FullIdentity> {
  try {
    return await deps.store.createIdentity(identity);
  } catch (err) {
    if (err instanceof ConflictError) throw identityConflict();
    throw err;
  }
}

async function storeUpdate(deps: AppDeps, identity: FullIdentity): Promise<FullIdentity> {
  try {
    return await deps.store.updateIdentity(identity);
  } catch (err) {
    if (err instanceof ConflictError) throw identityConflict();
    // Deleted by someone else between our read and this write.
    if (!(await deps.store.getIdentity(identity.id))) throw notFound();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Listing and reading
// ---------------------------------------------------------------------------------------------

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

function pageSizeOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(value) || value < 1) {
    throw errors.badRequest("The page size must be a positive integer.");
  }
  return Math.min(value, MAX_PAGE_SIZE);
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

// ---------------------------------------------------------------------------------------------
// Importing credentials and addresses
// ---------------------------------------------------------------------------------------------

const UNSUPPORTED_IMPORTS = ["totp", "lookup_secret", "webauthn", "passkey", "saml"] as const;

/** Adds the credentials of a create or update body; a password replaces, OIDC links are added. */
async function withImportedCredentials(
  deps: AppDeps,
  identity: FullIdentity,
  credentials: CredentialsImport | null | undefined,
): Promise<FullIdentity> {
  if (!credentials) return identity;
  for (const type of UNSUPPORTED_IMPORTS) {
    if (credentials[type] !== undefined && credentials[type] !== null) {
      throw errors.badRequest(`Importing ${type} credentials is not supported by this server.`);
    }
  }
  let next = identity;
  if (credentials.password) next = await withImportedPassword(deps, next, credentials.password.config);
  if (credentials.oidc) next = withImportedOidc(deps, next, credentials.oidc.config.providers);
  return next;
}

async function withImportedPassword(
  deps: AppDeps,
  identity: FullIdentity,
  config: NonNullable<CredentialsImport["password"]>["config"],
): Promise<FullIdentity> {
  if (config.use_password_migration_hook) {
    throw errors.badRequest("The password migration hook is not supported by this server.");
  }
  const plaintext = config.password || undefined;
  const hashed = config.hashed_password || undefined;
  if (plaintext && hashed) {
    throw errors.badRequest("Import either a password or a hashed_password, not both.");
  }
  if (!plaintext && !hashed) {
    throw errors.badRequest("A password credential needs a password or a hashed_password.");
  }
  // A password nobody can sign in with (no identifier in the traits) is a mistake, not an import.
  const identifiers = passwordIdentifiers(deps, identity);
  if (identifiers.length === 0) throw errors.badRequest(message(4000009).text);
  if (hashed) {
    if (!isSupportedHash(hashed)) {
      throw errors.badRequest(
        "The hashed_password is not in a supported format; import bcrypt ($2a$, $2b$, $2y$) or argon2 (PHC) hashes.",
      );
    }
    return withPassword(deps, identity, hashed);
  }
  const password = plaintext!;
  const issue = checkMaxLength(password, deps.hasher) ?? (await deps.policy.check(password, identifiers));
  if (issue) throw errors.badRequest(issue.text, { details: { messages: [{ path: "password", ...issue }] } });
  return withPassword(deps, identity, await deps.hasher.hash(password));
}

type OidcImportProvider = NonNullable<CredentialsImport["oidc"]>["config"]["providers"][number];

/** Kratos's OIDC identifier: `<provider>:<subject>`. */
const oidcIdentifier = (provider: string, subject: string) => `${provider}:${subject}`;

interface StoredOidcProvider {
  provider: string;
  subject: string;
  [key: string]: unknown;
}

function storedProviders(credential: CredentialRecord | undefined): StoredOidcProvider[] {
  const providers = credential?.config.providers;
  return Array.isArray(providers) ? (providers as StoredOidcProvider[]) : [];
}

function withImportedOidc(
  deps: AppDeps,
  identity: FullIdentity,
  imported: readonly OidcImportProvider[],
): FullIdentity {
  if (imported.length === 0) return identity;
  const now = deps.clock.now();
  const existing = identity.credentials.find((c) => c.type === "oidc");
  const providers = [...storedProviders(existing)];
  const known = new Set(providers.map((p) => oidcIdentifier(p.provider, p.subject)));
  for (const p of imported) {
    const id = oidcIdentifier(p.provider, p.subject);
    if (known.has(id)) continue;
    known.add(id);
    providers.push({
      subject: p.subject,
      provider: p.provider,
      initial_id_token: "",
      initial_access_token: "",
      initial_refresh_token: "",
      ...(p.organization ? { organization: p.organization } : {}),
      ...(p.use_auto_link ? { use_auto_link: true } : {}),
    });
  }
  return withOidcProviders(identity, existing, providers, now);
}

/** Rewrites the OIDC credential from its provider list; no providers left removes it. */
function withOidcProviders(
  identity: FullIdentity,
  existing: CredentialRecord | undefined,
  providers: StoredOidcProvider[],
  now: Date,
): FullIdentity {
  const others = identity.credentials.filter((c) => c.type !== "oidc");
  if (providers.length === 0) return { ...identity, credentials: others, updatedAt: now };
  const credential: CredentialRecord = {
    id: existing?.id ?? crypto.randomUUID(),
    identityId: identity.id,
    type: "oidc",
    identifiers: providers.map((p) => oidcIdentifier(p.provider, p.subject)),
    config: { ...(existing?.config ?? {}), providers },
    version: existing?.version ?? 0,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  return { ...identity, credentials: [...others, credential], updatedAt: now };
}

function addressKey(via: string, value: string): string {
  const normalized =
    via === "email" ? normalizeEmail(value) : via === "sms" ? normalizePhone(value) : undefined;
  return `${via}\u0000${normalized ?? value.trim().toLowerCase()}`;
}

/**
 * Carries the verification state of imported addresses onto the addresses the schema derived
 * from the traits (matched by channel and normalised value). Imported addresses the traits do not
 * produce are dropped, as in Kratos: the schema is the source of truth for which addresses exist.
 */
function withImportedVerification(
  identity: FullIdentity,
  imported: readonly VerifiableAddressImport[],
  now: Date,
): FullIdentity {
  if (imported.length === 0) return identity;
  const byKey = new Map(imported.map((a) => [addressKey(a.via, a.value), a]));
  const verifiableAddresses = identity.verifiableAddresses.map((address) => {
    const match = byKey.get(addressKey(address.via, address.value));
    if (!match) return address;
    return {
      ...address,
      verified: match.verified,
      status: match.status,
      verifiedAt: verifiedAtOf(match, now),
    };
  });
  return { ...identity, verifiableAddresses };
}

/** A verified address without a timestamp was verified "now"; an unverified one has none. */
function verifiedAtOf(address: VerifiableAddressImport, now: Date): Date | null {
  if (!address.verified) return null;
  return address.verified_at ? new Date(address.verified_at) : now;
}

// ---------------------------------------------------------------------------------------------
// Creating, replacing, patching, deleting
// ---------------------------------------------------------------------------------------------

/** `POST /admin/identities`: `input` is a `createIdentityBody`; answers the stored identity. */
export async function createIdentity(deps: AppDeps, input: unknown): Promise<IdentityJson> {
  const body = parseInput(createIdentityBodySchema, input, "The request body is invalid: ");
  if (body.organization_id) throw errors.badRequest("Organizations are not supported by this server.");
  const built = newIdentity(deps, {
    schemaId: body.schema_id || deps.registry.defaultId,
    traits: body.traits,
    state: body.state ?? "active",
    metadataPublic: body.metadata_public ?? null,
    metadataAdmin: body.metadata_admin ?? null,
    externalId: body.external_id || null,
  });
  if (!built.ok) throw invalidTraits(built.issues);
  let identity = withImportedVerification(built.identity, body.verifiable_addresses ?? [], deps.clock.now());
  identity = await withImportedCredentials(deps, identity, body.credentials);
  return toAdminIdentityJson(deps, await storeNew(deps, identity));
}

/** Everything an admin update sets; the rest of the identity is kept or re-derived. */
interface IdentityRevision {
  schemaId: string;
  traits: Record<string, unknown>;
  state: IdentityState;
  metadataPublic: unknown;
  metadataAdmin: unknown;
  externalId: string | null;
  /** Address records the traits are reconciled against (PATCH may edit them); default: current. */
  verifiableAddresses?: VerifiableAddressRecord[];
  recoveryAddresses?: RecoveryAddressRecord[];
  credentials?: CredentialsImport | null;
}

/** The one path of PUT and PATCH: validate the traits, re-derive addresses, import credentials. */
async function revise(
  deps: AppDeps,
  current: FullIdentity,
  revision: IdentityRevision,
): Promise<FullIdentity> {
  const now = deps.clock.now();
  const base: FullIdentity = {
    ...current,
    schemaId: revision.schemaId,
    state: revision.state,
    stateChangedAt: revision.state !== current.state ? now : current.stateChangedAt,
    metadataPublic: revision.metadataPublic ?? null,
    metadataAdmin: revision.metadataAdmin ?? null,
    externalId: revision.externalId,
    verifiableAddresses: revision.verifiableAddresses ?? current.verifiableAddresses,
    recoveryAddresses: revision.recoveryAddresses ?? current.recoveryAddresses,
  };
  const result = withTraits(deps, base, revision.traits);
  if (!result.ok) throw invalidTraits(result.issues);
  return withImportedCredentials(deps, result.identity, revision.credentials);
}

/**
 * `PUT /admin/identities/{id}`: replaces traits and both metadata (omitted means cleared) and
 * the external id; keeps schema and state unless given; credentials are imported when given.
 */
export async function updateIdentity(deps: AppDeps, id: string, input: unknown): Promise<IdentityJson> {
  const body = parseInput(updateIdentityBodySchema, input, "The request body is invalid: ");
  const current = await loadIdentity(deps, id);
  const revised = await revise(deps, current, {
    schemaId: body.schema_id || current.schemaId,
    traits: body.traits,
    state: body.state ?? current.state,
    metadataPublic: body.metadata_public,
    metadataAdmin: body.metadata_admin,
    externalId: body.external_id || null,
    credentials: body.credentials,
  });
  return toAdminIdentityJson(deps, await storeUpdate(deps, revised));
}

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

function applyJsonPatch(document: IdentityJson, operations: Operation[]): unknown {
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
 */
export async function patchIdentity(deps: AppDeps, id: string, input: unknown): Promise<IdentityJson> {
  const operations = parseInput(
    jsonPatchDocumentSchema,
    input,
    "failed to apply JSON patch: ",
  ) as Operation[];
  refuseReadOnlyChanges(operations);
  const current = await loadIdentity(deps, id);
  const patched = parseInput(
    patchedIdentitySchema,
    applyJsonPatch(toAdminIdentityJson(deps, current), operations),
    "The patched identity is invalid: ",
  );
  if (patched.organization_id) throw errors.badRequest("Organizations are not supported by this server.");
  const now = deps.clock.now();
  const revised = await revise(deps, current, {
    schemaId: patched.schema_id,
    traits: patched.traits,
    state: patched.state,
    metadataPublic: patched.metadata_public,
    metadataAdmin: patched.metadata_admin,
    externalId: patched.external_id || null,
    verifiableAddresses: patchedVerifiableAddresses(current, patched, now),
    recoveryAddresses: patchedRecoveryAddresses(current, patched, now),
  });
  return toAdminIdentityJson(deps, await storeUpdate(deps, revised));
}

/** `DELETE /admin/identities/{id}`: the identity, its credentials, addresses and sessions. */
export async function deleteIdentity(deps: AppDeps, id: string): Promise<void> {
  if (!isUuid(id) || !(await deps.store.deleteIdentity(id.toLowerCase()))) throw notFound();
}

/**
 * `DELETE /admin/identities/{id}/credentials/{type}`: removes one credential type. OIDC needs
 * `identifier` (`provider:subject`) and removes that one link; the credential goes with its last link.
 */
export async function deleteIdentityCredential(
  deps: AppDeps,
  id: string,
  type: string,
  identifier?: string,
): Promise<void> {
  const identity = await loadIdentity(deps, id);
  const credential = identity.credentials.find((c) => c.type === type);
  if (!credential) {
    throw errors.notFound(`You tried to remove a ${type} but this user have no ${type} set up.`);
  }
  const now = deps.clock.now();
  let next: FullIdentity;
  if (credential.type === "oidc") {
    if (!identifier) {
      throw errors.badRequest(
        "The identifier query parameter (<provider>:<subject>) is required to delete an oidc credential.",
      );
    }
    const providers = storedProviders(credential);
    const kept = providers.filter((p) => oidcIdentifier(p.provider, p.subject) !== identifier);
    if (kept.length === providers.length) {
      throw errors.notFound(`The identity has no oidc credential with the identifier "${identifier}".`);
    }
    next = withOidcProviders(identity, credential, kept, now);
  } else {
    next = { ...identity, credentials: identity.credentials.filter((c) => c !== credential), updatedAt: now };
  }
  await storeUpdate(deps, next);
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

/** Session JSON whose `identity` and `devices` are only present when expanded (Kratos's admin API). */
export type AdminSessionJson = Omit<SessionJson, "identity" | "devices"> &
  Partial<Pick<SessionJson, "identity" | "devices">>;

export type SessionExpansion = "identity" | "devices";

function expansionsOf(values: readonly string[] | undefined): Set<SessionExpansion> {
  const expand = new Set<SessionExpansion>();
  for (const value of values ?? []) {
    const lower = value.toLowerCase();
    if (lower !== "identity" && lower !== "devices") {
      throw errors.badRequest(`Invalid value "${value}" for parameter expand; use identity or devices.`);
    }
    expand.add(lower);
  }
  return expand;
}

function toAdminSessionJson(
  deps: AppDeps,
  session: SessionRecord,
  identity: FullIdentity,
  expand: ReadonlySet<SessionExpansion>,
): AdminSessionJson {
  const { identity: identityJson, devices, ...rest } = deps.sessions.toJson(session, identity);
  return {
    ...rest,
    ...(expand.has("identity") ? { identity: identityJson } : {}),
    ...(expand.has("devices") ? { devices } : {}),
  };
}

/** The `active` filter's meaning: not revoked and not expired (identity state aside, as in Kratos). */
function isLive(deps: AppDeps, session: SessionRecord): boolean {
  return session.active && session.expiresAt.getTime() > deps.clock.now().getTime();
}

async function identitiesById(deps: AppDeps, ids: string[]): Promise<Map<string, FullIdentity>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const page = await deps.store.listIdentities({ pageSize: unique.length, ids: unique });
  return new Map(page.identities.map((i) => [i.id, i]));
}

export interface ListSessionsInput {
  pageSize?: number;
  pageToken?: string;
  /** true: live sessions only; false: revoked or expired only; undefined: all. */
  active?: boolean;
  expand?: readonly string[];
}

export interface SessionPage {
  sessions: AdminSessionJson[];
  nextPageToken?: string;
}

/**
 * One keyset page of sessions matching the `active` filter. Expiry is not a stored flag, so
 * store pages are filtered here and read until one match beyond the page proves a next page.
 */
async function sessionsPage(
  deps: AppDeps,
  pageSize: number,
  pageToken: string | undefined,
  active: boolean | undefined,
): Promise<{ sessions: SessionRecord[]; nextPageToken?: string }> {
  if (active === undefined) {
    return deps.store.listAllSessions({ pageSize, ...(pageToken ? { pageToken } : {}) });
  }
  const matches: SessionRecord[] = [];
  let cursor = pageToken;
  for (;;) {
    const chunk = await deps.store.listAllSessions({
      pageSize: pageSize + 1,
      ...(cursor ? { pageToken: cursor } : {}),
      // Revoked sessions are never live, so the stored flag narrows "active=true" for free.
      ...(active ? { active: true } : {}),
    });
    for (const session of chunk.sessions) {
      if (isLive(deps, session) !== active) continue;
      matches.push(session);
      if (matches.length > pageSize) {
        const page = matches.slice(0, pageSize);
        return { sessions: page, nextPageToken: page[page.length - 1]!.id };
      }
    }
    if (chunk.nextPageToken === undefined) return { sessions: matches };
    cursor = chunk.nextPageToken;
  }
}

/** `GET /admin/sessions`. */
export async function listSessions(deps: AppDeps, input: ListSessionsInput = {}): Promise<SessionPage> {
  const pageSize = pageSizeOf(input.pageSize);
  const expand = expansionsOf(input.expand);
  let pageToken: string | undefined;
  if (input.pageToken) {
    if (!isUuid(input.pageToken))
      throw errors.badRequest("The page token is invalid. Start again from the first page.");
    pageToken = input.pageToken.toLowerCase();
  }
  const page = await sessionsPage(deps, pageSize, pageToken, input.active);
  const owners = await identitiesById(
    deps,
    page.sessions.map((s) => s.identityId),
  );
  const sessions: AdminSessionJson[] = [];
  for (const session of page.sessions) {
    const owner = owners.get(session.identityId);
    // A session whose identity was deleted in between is gone too (cascade); skip it.
    if (owner) sessions.push(toAdminSessionJson(deps, session, owner, expand));
  }
  return { sessions, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
}

async function loadSession(
  deps: AppDeps,
  id: string,
): Promise<{ session: SessionRecord; identity: FullIdentity }> {
  const session = await deps.store.getSession(sessionIdOrThrow(id));
  const identity = session && (await deps.store.getIdentity(session.identityId));
  if (!session || !identity) throw notFound();
  return { session, identity };
}

/** `GET /admin/sessions/{id}`: revoked and expired sessions are returned too (`active: false`). */
export async function getSession(
  deps: AppDeps,
  id: string,
  options: { expand?: readonly string[] } = {},
): Promise<AdminSessionJson> {
  const expand = expansionsOf(options.expand);
  const { session, identity } = await loadSession(deps, id);
  return toAdminSessionJson(deps, session, identity, expand);
}

/** `DELETE /admin/sessions/{id}`: revokes (deactivates) the session. */
export async function disableSession(deps: AppDeps, id: string): Promise<void> {
  if (!(await deps.store.revokeSession(sessionIdOrThrow(id)))) throw notFound();
}

/**
 * `PATCH /admin/sessions/{id}/extend`: expires_at = now + session.lifespan. Revoked or expired
 * sessions are not revived (404): extending is for sessions still in use.
 */
export async function extendSession(deps: AppDeps, id: string): Promise<SessionJson> {
  const { session, identity } = await loadSession(deps, id);
  if (!isLive(deps, session)) throw notFound();
  const now = deps.clock.now();
  const extended: SessionRecord = {
    ...session,
    expiresAt: new Date(now.getTime() + deps.config.ms.sessionLifespan),
    updatedAt: now,
  };
  await deps.store.updateSession(extended);
  return deps.sessions.toJson(extended, identity);
}

export interface IdentitySessionsInput {
  active?: boolean;
  pageSize?: number;
  pageToken?: string;
}

/**
 * `GET /admin/identities/{id}/sessions`: newest first, with identity and devices (Kratos expands
 * everything here). Paged in memory: one identity has few sessions.
 */
export async function listIdentitySessions(
  deps: AppDeps,
  id: string,
  input: IdentitySessionsInput = {},
): Promise<{ sessions: SessionJson[]; nextPageToken?: string }> {
  const identity = await loadIdentity(deps, id);
  const pageSize = pageSizeOf(input.pageSize);
  const all = (await deps.store.listSessions(identity.id)).filter(
    (s) => input.active === undefined || isLive(deps, s) === input.active,
  );
  const start = input.pageToken ? all.findIndex((s) => s.id === input.pageToken) + 1 : 0;
  if (input.pageToken && start === 0)
    throw errors.badRequest("The page token is invalid. Start again from the first page.");
  const page = all.slice(start, start + pageSize);
  const more = start + pageSize < all.length;
  return {
    sessions: page.map((s) => deps.sessions.toJson(s, identity)),
    ...(more ? { nextPageToken: page[page.length - 1]!.id } : {}),
  };
}

/** `DELETE /admin/identities/{id}/sessions`: deletes every session of the identity, as Kratos does. */
export async function deleteIdentitySessions(deps: AppDeps, id: string): Promise<void> {
  const identity = await loadIdentity(deps, id);
  await deps.store.deleteSessionsOfIdentity(identity.id);
}
