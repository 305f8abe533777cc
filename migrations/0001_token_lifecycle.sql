ALTER TABLE `integration_access` ADD `tokens_issued_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `integration_access` ADD `last_refresh_at` integer;--> statement-breakpoint
ALTER TABLE `integration_access` ADD `last_refresh_error` text;--> statement-breakpoint
ALTER TABLE `integration_access` ADD `refresh_failures` integer DEFAULT 0 NOT NULL;