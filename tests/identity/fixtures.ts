import { fileURLToPath } from "node:url";
import type { FullIdentity } from "../../db/store.ts";
import { type SchemaEntry, SchemaRegistry } from "../../server/identity/registry.ts";

/** Shared fixtures of the identity-engine tests. */

export const BUILT_IN_DEFAULT = fileURLToPath(
  new URL("../../schemas/default.identity.schema.json", import.meta.url),
);
export const REFERENCE_SCHEMAS = fileURLToPath(new URL("../fixtures/identity-schemas/", import.meta.url));

export function base64Url(json: unknown, urlSafe = false): string {
  const encoded = Buffer.from(JSON.stringify(json)).toString(urlSafe ? "base64url" : "base64");
  return `base64://${encoded}`;
}

/** Wraps trait properties into a draft-07 identity schema. */
export function identitySchema(
  traitsProperties: Record<string, unknown>,
  extra: { required?: string[]; additionalProperties?: boolean; root?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    ...extra.root,
    properties: {
      traits: {
        type: "object",
        properties: traitsProperties,
        ...(extra.required ? { required: extra.required } : {}),
        ...(extra.additionalProperties === false ? { additionalProperties: false } : {}),
      },
    },
  };
}

export async function loadEntry(schema: unknown, id = "test"): Promise<SchemaEntry> {
  const registry = await SchemaRegistry.load([{ id, url: base64Url(schema) }], {
    defaultSchemaId: id,
    builtInDefault: BUILT_IN_DEFAULT,
  });
  return registry.get(id) as SchemaEntry;
}

export async function loadDefaultEntry(): Promise<SchemaEntry> {
  const registry = await SchemaRegistry.load([], {
    defaultSchemaId: "default",
    builtInDefault: BUILT_IN_DEFAULT,
  });
  return registry.defaultEntry;
}

export const T0 = new Date("2024-01-02T03:04:05.678Z");
export const T1 = new Date("2024-02-03T04:05:06.789Z");

let counter = 0;
/** Deterministic uuid-shaped ids. */
export function sequentialId(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, "0")}`;
}

export function sampleIdentity(): FullIdentity {
  const id = "9f3c2b1a-0d4e-4f5a-8b6c-7d8e9f0a1b2c";
  return {
    id,
    schemaId: "default",
    state: "active",
    stateChangedAt: null,
    traits: { email: "old@example.com", name: { first: "Ann" } },
    metadataPublic: null,
    metadataAdmin: null,
    externalId: null,
    createdAt: T0,
    updatedAt: T0,
    credentials: [
      {
        id: "c1000000-0000-4000-8000-000000000001",
        identityId: id,
        type: "password",
        identifiers: ["old@example.com"],
        config: { hashed_password: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", other: "secret" },
        version: 0,
        createdAt: T0,
        updatedAt: T0,
      },
      {
        id: "c1000000-0000-4000-8000-000000000002",
        identityId: id,
        type: "oidc",
        identifiers: ["github:12345"],
        config: { providers: [{ provider: "github", subject: "12345" }] },
        version: 0,
        createdAt: T0,
        updatedAt: T0,
      },
    ],
    verifiableAddresses: [
      {
        id: "a1000000-0000-4000-8000-000000000001",
        identityId: id,
        value: "old@example.com",
        via: "email",
        verified: true,
        status: "completed",
        verifiedAt: T0,
        createdAt: T0,
        updatedAt: T0,
      },
    ],
    recoveryAddresses: [
      {
        id: "b1000000-0000-4000-8000-000000000001",
        identityId: id,
        value: "old@example.com",
        via: "email",
        createdAt: T0,
        updatedAt: T0,
      },
    ],
  };
}
