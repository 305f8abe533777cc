CREATE TABLE `data_cache` (
	`workspace_id` text NOT NULL,
	`integration` text NOT NULL,
	`cache_date` integer NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `integration`, `cache_date`)
);
--> statement-breakpoint
CREATE TABLE `fetch_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`integration` text NOT NULL,
	`cache_date` integer NOT NULL,
	`trigger` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`outcome` text NOT NULL,
	`error` text
);
--> statement-breakpoint
CREATE INDEX `fetch_runs_workspace_integration` ON `fetch_runs` (`workspace_id`,`integration`,`started_at`);--> statement-breakpoint
CREATE TABLE `integration_access` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`integration` text NOT NULL,
	`token_ciphertext` text NOT NULL,
	`key_id` text NOT NULL,
	`expires_at` integer,
	`scope` text,
	`tenant_id` text,
	`requires_reconnect` integer DEFAULT false NOT NULL,
	`additional_info` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integration_access_workspace_integration` ON `integration_access` (`workspace_id`,`integration`);