CREATE TABLE `selfservice_flow_attempts` (
	`flow_id` text NOT NULL,
	`generation` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`flow_id`, `generation`),
	FOREIGN KEY (`flow_id`) REFERENCES `selfservice_flows`(`id`) ON UPDATE no action ON DELETE cascade
);
