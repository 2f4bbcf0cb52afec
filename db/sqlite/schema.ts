import { relations } from "drizzle-orm";
import {
  customType,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { StoredAuthenticationMethod } from "../mapping.ts";
import type {
  AddressChangeRecord,
  CourierDispatchRecord,
  CourierMessageRecord,
  CredentialType,
  FlowKind,
  IdentityState,
  SecurityEventRecord,
  SessionDeviceRecord,
  SessionRecord,
  VerifiableAddressRecord,
} from "../store.ts";

/*
 * Custom column types instead of drizzle's `integer({ mode: "timestamp_ms" })` and
 * `text({ mode: "json" })`: drizzle encodes placeholder values of prepared statements without a
 * null check, so the built-in ones crash (dates) or store the string "null" (JSON) for nullable
 * columns. These keep SQL NULL as NULL.
 */

/** Milliseconds since the epoch. */
const timestampMs = customType<{ data: Date; driverData: number }>({
  dataType: () => "integer",
  toDriver: (value: Date | null) => (value === null ? null : value.getTime()) as number,
  fromDriver: (value) => new Date(value),
});

/** JSON as text. */
const json = customType<{ data: unknown; driverData: string }>({
  dataType: () => "text",
  toDriver: (value) => (value === null ? null : JSON.stringify(value)) as string,
  fromDriver: (value) => JSON.parse(value),
});

const bool = (name: string) => integer(name, { mode: "boolean" });

export const identities = sqliteTable(
  "identities",
  {
    id: text("id").primaryKey(),
    schemaId: text("schema_id").notNull(),
    state: text("state").$type<IdentityState>().notNull(),
    stateChangedAt: timestampMs("state_changed_at"),
    traits: json("traits").$type<Record<string, unknown>>().notNull(),
    metadataPublic: json("metadata_public"),
    metadataAdmin: json("metadata_admin"),
    externalId: text("external_id"),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
    version: integer("version").notNull().default(0),
  },
  (t) => [uniqueIndex("identities_external_id_uq").on(t.externalId)],
);

export const identityCredentials = sqliteTable(
  "identity_credentials",
  {
    id: text("id").primaryKey(),
    identityId: text("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    type: text("type").$type<CredentialType>().notNull(),
    config: json("config").$type<Record<string, unknown>>().notNull(),
    version: integer("version").notNull(),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
  },
  (t) => [index("identity_credentials_identity_id_idx").on(t.identityId)],
);

export const identityCredentialIdentifiers = sqliteTable(
  "identity_credential_identifiers",
  {
    credentialId: text("credential_id")
      .notNull()
      .references(() => identityCredentials.id, { onDelete: "cascade" }),
    // Denormalised so that a login lookup is one index probe and deleting an identity cascades directly.
    identityId: text("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    // Copied from the credential: identifiers are unique per credential type, not globally.
    credentialType: text("credential_type").$type<CredentialType>().notNull(),
    identifier: text("identifier").notNull(),
    // Keeps the identifiers in the order the credential listed them.
    position: integer("position").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.credentialId, t.position] }),
    uniqueIndex("identity_credential_identifiers_type_identifier_uq").on(t.credentialType, t.identifier),
    index("identity_credential_identifiers_identity_id_idx").on(t.identityId),
  ],
);

export const identityVerifiableAddresses = sqliteTable(
  "identity_verifiable_addresses",
  {
    id: text("id").primaryKey(),
    identityId: text("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    via: text("via").$type<VerifiableAddressRecord["via"]>().notNull(),
    value: text("value").notNull(),
    verified: bool("verified").notNull(),
    status: text("status").$type<VerifiableAddressRecord["status"]>().notNull(),
    verifiedAt: timestampMs("verified_at"),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("identity_verifiable_addresses_via_value_uq").on(t.via, t.value),
    index("identity_verifiable_addresses_identity_id_idx").on(t.identityId),
  ],
);

export const identityRecoveryAddresses = sqliteTable(
  "identity_recovery_addresses",
  {
    id: text("id").primaryKey(),
    identityId: text("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    via: text("via").$type<"email" | "sms">().notNull(),
    value: text("value").notNull(),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("identity_recovery_addresses_via_value_uq").on(t.via, t.value),
    index("identity_recovery_addresses_identity_id_idx").on(t.identityId),
  ],
);

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    token: text("token").notNull(),
    logoutToken: text("logout_token").notNull(),
    identityId: text("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    active: bool("active").notNull(),
    aal: text("aal").$type<SessionRecord["aal"]>().notNull(),
    issuedAt: timestampMs("issued_at").notNull(),
    authenticatedAt: timestampMs("authenticated_at").notNull(),
    expiresAt: timestampMs("expires_at").notNull(),
    authenticationMethods: json("authentication_methods").$type<StoredAuthenticationMethod[]>().notNull(),
    devices: json("devices").$type<SessionDeviceRecord[]>().notNull(),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("sessions_token_uq").on(t.token),
    uniqueIndex("sessions_logout_token_uq").on(t.logoutToken),
    index("sessions_identity_id_idx").on(t.identityId),
  ],
);

export const selfserviceFlows = sqliteTable(
  "selfservice_flows",
  {
    id: text("id").primaryKey(),
    kind: text("kind").$type<FlowKind>().notNull(),
    type: text("type").$type<"browser" | "api">().notNull(),
    identityId: text("identity_id"),
    state: text("state").notNull(),
    requestUrl: text("request_url").notNull(),
    returnTo: text("return_to"),
    active: text("active"),
    ui: json("ui").$type<Record<string, unknown>>().notNull(),
    data: json("data").$type<Record<string, unknown>>().notNull(),
    internalContext: json("internal_context").$type<Record<string, unknown>>().notNull(),
    issuedAt: timestampMs("issued_at").notNull(),
    expiresAt: timestampMs("expires_at").notNull(),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
  },
  (t) => [index("selfservice_flows_identity_id_idx").on(t.identityId)],
);

/**
 * Wrong-secret attempts of a verification or recovery flow, per one-time secret the flow sent
 * (`generation`: a resend starts a new count). A row of its own so the count is incremented in one
 * statement: flow updates rewrite the whole flow and would lose concurrent attempts.
 */
export const selfserviceFlowAttempts = sqliteTable(
  "selfservice_flow_attempts",
  {
    flowId: text("flow_id")
      .notNull()
      .references(() => selfserviceFlows.id, { onDelete: "cascade" }),
    generation: text("generation").notNull(),
    count: integer("count").notNull(),
  },
  (t) => [primaryKey({ columns: [t.flowId, t.generation] })],
);

export const continuityContainers = sqliteTable(
  "continuity_containers",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    identityId: text("identity_id"),
    payload: json("payload").$type<Record<string, unknown>>().notNull(),
    expiresAt: timestampMs("expires_at").notNull(),
    createdAt: timestampMs("created_at").notNull(),
  },
  (t) => [index("continuity_containers_identity_id_name_idx").on(t.identityId, t.name)],
);

export const selfserviceErrors = sqliteTable("selfservice_errors", {
  id: text("id").primaryKey(),
  error: json("error").$type<Record<string, unknown>>().notNull(),
  seenAt: timestampMs("seen_at"),
  createdAt: timestampMs("created_at").notNull(),
  updatedAt: timestampMs("updated_at").notNull(),
});

export const courierMessages = sqliteTable(
  "courier_messages",
  {
    id: text("id").primaryKey(),
    type: text("type").$type<CourierMessageRecord["type"]>().notNull(),
    status: text("status").$type<CourierMessageRecord["status"]>().notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    templateType: text("template_type").notNull(),
    sendCount: integer("send_count").notNull(),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
    htmlBody: text("html_body"),
    sendAfter: timestampMs("send_after"),
  },
  (t) => [
    index("courier_messages_status_created_at_idx").on(t.status, t.createdAt),
    index("courier_messages_recipient_created_at_idx").on(t.recipient, t.createdAt),
  ],
);

/** One row per delivery attempt of a message (Kratos's courier_message_dispatches). */
export const courierMessageDispatches = sqliteTable(
  "courier_message_dispatches",
  {
    id: text("id").primaryKey(),
    messageId: text("message_id")
      .notNull()
      .references(() => courierMessages.id, { onDelete: "cascade" }),
    status: text("status").$type<CourierDispatchRecord["status"]>().notNull(),
    error: json("error").$type<Record<string, unknown>>(),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
  },
  (t) => [index("courier_message_dispatches_message_id_idx").on(t.messageId, t.createdAt)],
);

// Relations drive drizzle's relational queries, which load an identity with all its children in one statement.
export const identitiesRelations = relations(identities, ({ many }) => ({
  credentials: many(identityCredentials),
  verifiableAddresses: many(identityVerifiableAddresses),
  recoveryAddresses: many(identityRecoveryAddresses),
}));

export const identityCredentialsRelations = relations(identityCredentials, ({ one, many }) => ({
  identity: one(identities, { fields: [identityCredentials.identityId], references: [identities.id] }),
  identifiers: many(identityCredentialIdentifiers),
}));

export const identityCredentialIdentifiersRelations = relations(identityCredentialIdentifiers, ({ one }) => ({
  credential: one(identityCredentials, {
    fields: [identityCredentialIdentifiers.credentialId],
    references: [identityCredentials.id],
  }),
}));

export const identityVerifiableAddressesRelations = relations(identityVerifiableAddresses, ({ one }) => ({
  identity: one(identities, {
    fields: [identityVerifiableAddresses.identityId],
    references: [identities.id],
  }),
}));

export const identityRecoveryAddressesRelations = relations(identityRecoveryAddresses, ({ one }) => ({
  identity: one(identities, { fields: [identityRecoveryAddresses.identityId], references: [identities.id] }),
}));

export const sessionsRelations = relations(sessions, ({ one }) => ({
  identity: one(identities, { fields: [sessions.identityId], references: [identities.id] }),
}));

export const securityEvents = sqliteTable(
  "security_events",
  {
    id: text("id").primaryKey(),
    identityId: text("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    method: text("method"),
    outcome: text("outcome").$type<SecurityEventRecord["outcome"]>().notNull(),
    network: text("network"),
    client: text("client"),
    createdAt: timestampMs("created_at").notNull(),
  },
  (t) => [
    index("security_events_identity_created_at_idx").on(t.identityId, t.createdAt),
    index("security_events_created_at_idx").on(t.createdAt),
  ],
);

export const addressChanges = sqliteTable(
  "address_changes",
  {
    id: text("id").primaryKey(),
    identityId: text("identity_id")
      .notNull()
      .references(() => identities.id, { onDelete: "cascade" }),
    status: text("status").$type<AddressChangeRecord["status"]>().notNull(),
    trait: text("trait").notNull(),
    via: text("via").$type<AddressChangeRecord["via"]>().notNull(),
    oldValue: text("old_value").notNull(),
    newValue: text("new_value").notNull(),
    verificationFlowId: text("verification_flow_id"),
    sessionId: text("session_id"),
    revertHmac: text("revert_hmac"),
    revertExpiresAt: timestampMs("revert_expires_at"),
    createdAt: timestampMs("created_at").notNull(),
    updatedAt: timestampMs("updated_at").notNull(),
  },
  (t) => [
    index("address_changes_identity_status_idx").on(t.identityId, t.status),
    uniqueIndex("address_changes_revert_hmac_idx").on(t.revertHmac),
  ],
);

export const accountDeletions = sqliteTable(
  "account_deletions",
  {
    identityId: text("identity_id")
      .primaryKey()
      .references(() => identities.id, { onDelete: "cascade" }),
    requestedAt: timestampMs("requested_at").notNull(),
    dueAt: timestampMs("due_at").notNull(),
  },
  (t) => [index("account_deletions_due_at_idx").on(t.dueAt)],
);
