ALTER TABLE `data_cache` ADD `last_requested_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `data_cache_refresh` ON `data_cache` (`last_requested_at`,`created_at`);