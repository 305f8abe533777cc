-- A connection is (workspace, provider, tenant): a workspace may connect several companies of one
-- provider, each on its own. Existing rows keep their tenant (a missing one becomes '') and keep
-- working with no action; the unique key moves from (workspace, integration) to (workspace,
-- integration, tenant). Cached data is indexed per connection too: each existing row takes the
-- tenant of its connection. A pending grant lists every tenant its consent covers, for the user to
-- pick from at confirm; one still pending keeps the tenant it had.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_integration_access` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` text NOT NULL,
	`integration` text NOT NULL,
	`token_ciphertext` text NOT NULL,
	`key_id` text NOT NULL,
	`expires_at` integer,
	`scope` text,
	`tenant_id` text DEFAULT '' NOT NULL,
	`tenant_name` text,
	`requires_reconnect` integer DEFAULT false NOT NULL,
	`additional_info` text DEFAULT '{}' NOT NULL,
	`config` text DEFAULT '{}' NOT NULL,
	`tokens_issued_at` integer DEFAULT 0 NOT NULL,
	`last_refresh_at` integer,
	`last_refresh_error` text,
	`refresh_failures` integer DEFAULT 0 NOT NULL,
	`generation` integer DEFAULT 0 NOT NULL,
	`connected_by` text,
	`connected_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_integration_access`("id", "workspace_id", "integration", "token_ciphertext", "key_id", "expires_at", "scope", "tenant_id", "tenant_name", "requires_reconnect", "additional_info", "config", "tokens_issued_at", "last_refresh_at", "last_refresh_error", "refresh_failures", "generation", "connected_by", "connected_at", "created_at", "updated_at") SELECT "id", "workspace_id", "integration", "token_ciphertext", "key_id", "expires_at", "scope", coalesce("tenant_id", ''), NULL, "requires_reconnect", "additional_info", "config", "tokens_issued_at", "last_refresh_at", "last_refresh_error", "refresh_failures", "generation", "connected_by", "connected_at", "created_at", "updated_at" FROM `integration_access`;--> statement-breakpoint
DROP TABLE `integration_access`;--> statement-breakpoint
ALTER TABLE `__new_integration_access` RENAME TO `integration_access`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `integration_access_connection` ON `integration_access` (`workspace_id`,`integration`,`tenant_id`);--> statement-breakpoint
CREATE TABLE `__new_data_cache` (
	`workspace_id` text NOT NULL,
	`integration` text NOT NULL,
	`tenant_id` text DEFAULT '' NOT NULL,
	`cache_date` integer NOT NULL,
	`payload` text,
	`created_at` integer NOT NULL,
	`last_requested_at` integer DEFAULT 0 NOT NULL,
	`size` integer DEFAULT 0 NOT NULL,
	`format_version` integer DEFAULT 1 NOT NULL,
	PRIMARY KEY(`workspace_id`, `integration`, `tenant_id`, `cache_date`)
);
--> statement-breakpoint
INSERT INTO `__new_data_cache`("workspace_id", "integration", "tenant_id", "cache_date", "payload", "created_at", "last_requested_at", "size", "format_version") SELECT c."workspace_id", c."integration", coalesce((SELECT a."tenant_id" FROM `integration_access` a WHERE a."workspace_id" = c."workspace_id" AND a."integration" = c."integration"), ''), c."cache_date", c."payload", c."created_at", c."last_requested_at", c."size", c."format_version" FROM `data_cache` c;--> statement-breakpoint
DROP TABLE `data_cache`;--> statement-breakpoint
ALTER TABLE `__new_data_cache` RENAME TO `data_cache`;--> statement-breakpoint
CREATE INDEX `data_cache_refresh` ON `data_cache` (`last_requested_at`,`created_at`);--> statement-breakpoint
ALTER TABLE `pending_grants` ADD `tenants` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
UPDATE `pending_grants` SET `tenants` = json_array(json_object('id', `tenant_id`, 'name', NULL, 'type', NULL, 'readable', json('true'), 'additionalInfo', json(`additional_info`))) WHERE `tenant_id` IS NOT NULL;--> statement-breakpoint
UPDATE `pending_grants` SET `tenants` = json_array(json_object('id', '', 'name', NULL, 'type', NULL, 'readable', json('true'), 'additionalInfo', json(`additional_info`))) WHERE `tenant_id` IS NULL;--> statement-breakpoint
ALTER TABLE `pending_grants` DROP COLUMN `tenant_id`;--> statement-breakpoint
ALTER TABLE `pending_grants` DROP COLUMN `additional_info`;
