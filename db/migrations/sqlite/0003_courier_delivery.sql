CREATE TABLE `courier_message_dispatches` (
	`id` text PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`message_id`) REFERENCES `courier_messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `courier_message_dispatches_message_id_idx` ON `courier_message_dispatches` (`message_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `courier_messages` ADD `html_body` text;--> statement-breakpoint
ALTER TABLE `courier_messages` ADD `send_after` integer;--> statement-breakpoint
CREATE INDEX `courier_messages_recipient_created_at_idx` ON `courier_messages` (`recipient`,`created_at`);