CREATE TABLE `continuity_containers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`identity_id` text,
	`payload` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `continuity_containers_identity_id_name_idx` ON `continuity_containers` (`identity_id`,`name`);--> statement-breakpoint
CREATE TABLE `courier_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`recipient` text NOT NULL,
	`subject` text NOT NULL,
	`body` text NOT NULL,
	`template_type` text NOT NULL,
	`send_count` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `courier_messages_status_created_at_idx` ON `courier_messages` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `identities` (
	`id` text PRIMARY KEY NOT NULL,
	`schema_id` text NOT NULL,
	`state` text NOT NULL,
	`state_changed_at` integer,
	`traits` text NOT NULL,
	`metadata_public` text,
	`metadata_admin` text,
	`external_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identities_external_id_uq` ON `identities` (`external_id`);--> statement-breakpoint
CREATE TABLE `identity_credential_identifiers` (
	`credential_id` text NOT NULL,
	`identity_id` text NOT NULL,
	`credential_type` text NOT NULL,
	`identifier` text NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`credential_id`, `position`),
	FOREIGN KEY (`credential_id`) REFERENCES `identity_credentials`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`identity_id`) REFERENCES `identities`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identity_credential_identifiers_type_identifier_uq` ON `identity_credential_identifiers` (`credential_type`,`identifier`);--> statement-breakpoint
CREATE INDEX `identity_credential_identifiers_identity_id_idx` ON `identity_credential_identifiers` (`identity_id`);--> statement-breakpoint
CREATE TABLE `identity_credentials` (
	`id` text PRIMARY KEY NOT NULL,
	`identity_id` text NOT NULL,
	`type` text NOT NULL,
	`config` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`identity_id`) REFERENCES `identities`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `identity_credentials_identity_id_idx` ON `identity_credentials` (`identity_id`);--> statement-breakpoint
CREATE TABLE `identity_recovery_addresses` (
	`id` text PRIMARY KEY NOT NULL,
	`identity_id` text NOT NULL,
	`via` text NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`identity_id`) REFERENCES `identities`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identity_recovery_addresses_via_value_uq` ON `identity_recovery_addresses` (`via`,`value`);--> statement-breakpoint
CREATE INDEX `identity_recovery_addresses_identity_id_idx` ON `identity_recovery_addresses` (`identity_id`);--> statement-breakpoint
CREATE TABLE `identity_verifiable_addresses` (
	`id` text PRIMARY KEY NOT NULL,
	`identity_id` text NOT NULL,
	`via` text NOT NULL,
	`value` text NOT NULL,
	`verified` integer NOT NULL,
	`status` text NOT NULL,
	`verified_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`identity_id`) REFERENCES `identities`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identity_verifiable_addresses_via_value_uq` ON `identity_verifiable_addresses` (`via`,`value`);--> statement-breakpoint
CREATE INDEX `identity_verifiable_addresses_identity_id_idx` ON `identity_verifiable_addresses` (`identity_id`);--> statement-breakpoint
CREATE TABLE `selfservice_errors` (
	`id` text PRIMARY KEY NOT NULL,
	`error` text NOT NULL,
	`seen_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `selfservice_flows` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`type` text NOT NULL,
	`identity_id` text,
	`state` text NOT NULL,
	`request_url` text NOT NULL,
	`return_to` text,
	`active` text,
	`ui` text NOT NULL,
	`data` text NOT NULL,
	`internal_context` text NOT NULL,
	`issued_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `selfservice_flows_identity_id_idx` ON `selfservice_flows` (`identity_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`token` text NOT NULL,
	`logout_token` text NOT NULL,
	`identity_id` text NOT NULL,
	`active` integer NOT NULL,
	`aal` text NOT NULL,
	`issued_at` integer NOT NULL,
	`authenticated_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`authentication_methods` text NOT NULL,
	`devices` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`identity_id`) REFERENCES `identities`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_token_uq` ON `sessions` (`token`);--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_logout_token_uq` ON `sessions` (`logout_token`);--> statement-breakpoint
CREATE INDEX `sessions_identity_id_idx` ON `sessions` (`identity_id`);