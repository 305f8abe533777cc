-- Payloads move to each workspace's Durable Object storage: payload becomes nullable (legacy rows keep
-- theirs until their first read moves it), and size records the payload's bytes. No foreign keys
-- reference data_cache, so the table is rebuilt without PRAGMA foreign_keys.
CREATE TABLE `__new_data_cache` (
	`workspace_id` text NOT NULL,
	`integration` text NOT NULL,
	`cache_date` integer NOT NULL,
	`payload` text,
	`created_at` integer NOT NULL,
	`last_requested_at` integer DEFAULT 0 NOT NULL,
	`size` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`workspace_id`, `integration`, `cache_date`)
);
--> statement-breakpoint
INSERT INTO `__new_data_cache`("workspace_id", "integration", "cache_date", "payload", "created_at", "last_requested_at", "size") SELECT "workspace_id", "integration", "cache_date", "payload", "created_at", "last_requested_at", length(CAST("payload" AS BLOB)) FROM `data_cache`;--> statement-breakpoint
DROP TABLE `data_cache`;--> statement-breakpoint
ALTER TABLE `__new_data_cache` RENAME TO `data_cache`;--> statement-breakpoint
CREATE INDEX `data_cache_refresh` ON `data_cache` (`last_requested_at`,`created_at`);
