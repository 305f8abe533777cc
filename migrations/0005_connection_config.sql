ALTER TABLE `integration_access` ADD `config` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `pending_grants` ADD `config` text DEFAULT '{}' NOT NULL;