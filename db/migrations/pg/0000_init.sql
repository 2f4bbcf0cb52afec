CREATE TABLE "continuity_containers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"identity_id" text,
	"payload" jsonb NOT NULL,
	"expires_at" timestamp(3) with time zone NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "courier_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"recipient" text NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"template_type" text NOT NULL,
	"send_count" integer NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identities" (
	"id" text PRIMARY KEY NOT NULL,
	"schema_id" text NOT NULL,
	"state" text NOT NULL,
	"state_changed_at" timestamp(3) with time zone,
	"traits" jsonb NOT NULL,
	"metadata_public" jsonb,
	"metadata_admin" jsonb,
	"external_id" text,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_credential_identifiers" (
	"credential_id" text NOT NULL,
	"identity_id" text NOT NULL,
	"credential_type" text NOT NULL,
	"identifier" text NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "identity_credential_identifiers_credential_id_position_pk" PRIMARY KEY("credential_id","position")
);
--> statement-breakpoint
CREATE TABLE "identity_credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"identity_id" text NOT NULL,
	"type" text NOT NULL,
	"config" jsonb NOT NULL,
	"version" integer NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_recovery_addresses" (
	"id" text PRIMARY KEY NOT NULL,
	"identity_id" text NOT NULL,
	"via" text NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_verifiable_addresses" (
	"id" text PRIMARY KEY NOT NULL,
	"identity_id" text NOT NULL,
	"via" text NOT NULL,
	"value" text NOT NULL,
	"verified" boolean NOT NULL,
	"status" text NOT NULL,
	"verified_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "selfservice_errors" (
	"id" text PRIMARY KEY NOT NULL,
	"error" jsonb NOT NULL,
	"seen_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "selfservice_flows" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"type" text NOT NULL,
	"identity_id" text,
	"state" text NOT NULL,
	"request_url" text NOT NULL,
	"return_to" text,
	"active" text,
	"ui" jsonb NOT NULL,
	"data" jsonb NOT NULL,
	"internal_context" jsonb NOT NULL,
	"issued_at" timestamp(3) with time zone NOT NULL,
	"expires_at" timestamp(3) with time zone NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"token" text NOT NULL,
	"logout_token" text NOT NULL,
	"identity_id" text NOT NULL,
	"active" boolean NOT NULL,
	"aal" text NOT NULL,
	"issued_at" timestamp(3) with time zone NOT NULL,
	"authenticated_at" timestamp(3) with time zone NOT NULL,
	"expires_at" timestamp(3) with time zone NOT NULL,
	"authentication_methods" jsonb NOT NULL,
	"devices" jsonb NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "identity_credential_identifiers" ADD CONSTRAINT "identity_credential_identifiers_credential_id_identity_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "identity_credentials"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_credential_identifiers" ADD CONSTRAINT "identity_credential_identifiers_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "identities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_credentials" ADD CONSTRAINT "identity_credentials_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "identities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_recovery_addresses" ADD CONSTRAINT "identity_recovery_addresses_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "identities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity_verifiable_addresses" ADD CONSTRAINT "identity_verifiable_addresses_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "identities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_identity_id_identities_id_fk" FOREIGN KEY ("identity_id") REFERENCES "identities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "continuity_containers_identity_id_name_idx" ON "continuity_containers" USING btree ("identity_id","name");--> statement-breakpoint
CREATE INDEX "courier_messages_status_created_at_idx" ON "courier_messages" USING btree ("status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "identities_external_id_uq" ON "identities" USING btree ("external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_credential_identifiers_type_identifier_uq" ON "identity_credential_identifiers" USING btree ("credential_type","identifier");--> statement-breakpoint
CREATE INDEX "identity_credential_identifiers_identity_id_idx" ON "identity_credential_identifiers" USING btree ("identity_id");--> statement-breakpoint
CREATE INDEX "identity_credentials_identity_id_idx" ON "identity_credentials" USING btree ("identity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_recovery_addresses_via_value_uq" ON "identity_recovery_addresses" USING btree ("via","value");--> statement-breakpoint
CREATE INDEX "identity_recovery_addresses_identity_id_idx" ON "identity_recovery_addresses" USING btree ("identity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_verifiable_addresses_via_value_uq" ON "identity_verifiable_addresses" USING btree ("via","value");--> statement-breakpoint
CREATE INDEX "identity_verifiable_addresses_identity_id_idx" ON "identity_verifiable_addresses" USING btree ("identity_id");--> statement-breakpoint
CREATE INDEX "selfservice_flows_identity_id_idx" ON "selfservice_flows" USING btree ("identity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_token_uq" ON "sessions" USING btree ("token");--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_logout_token_uq" ON "sessions" USING btree ("logout_token");--> statement-breakpoint
CREATE INDEX "sessions_identity_id_idx" ON "sessions" USING btree ("identity_id");