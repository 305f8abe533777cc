CREATE TABLE `pending_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`integration` text NOT NULL,
	`user_id` text NOT NULL,
	`token_ciphertext` text NOT NULL,
	`key_id` text NOT NULL,
	`expires_at` integer,
	`scope` text,
	`tenant_id` text,
	`additional_info` text DEFAULT '{}' NOT NULL,
	`tokens_issued_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`pending_until` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pending_grants_expiry` ON `pending_grants` (`pending_until`);--> statement-breakpoint
ALTER TABLE `integration_access` ADD `generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `integration_access` ADD `connected_by` text;--> statement-breakpoint
ALTER TABLE `integration_access` ADD `connected_at` integer;