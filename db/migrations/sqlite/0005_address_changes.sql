CREATE TABLE `address_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`identity_id` text NOT NULL,
	`status` text NOT NULL,
	`trait` text NOT NULL,
	`via` text NOT NULL,
	`old_value` text NOT NULL,
	`new_value` text NOT NULL,
	`verification_flow_id` text,
	`session_id` text,
	`revert_hmac` text,
	`revert_expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`identity_id`) REFERENCES `identities`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `address_changes_identity_status_idx` ON `address_changes` (`identity_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `address_changes_revert_hmac_idx` ON `address_changes` (`revert_hmac`);