-- The refresh token's hard expiry (Intuit: five years after consent, whatever the use), as the
-- provider states it, on connections and pending grants, and the expiry a `connection.expiring`
-- webhook was recorded for. Every column is nullable: rows from before learn their expiry at their
-- next refresh (the token endpoint states it again), and nothing else changes for them.
ALTER TABLE `integration_access` ADD `refresh_hard_expires_at` integer;--> statement-breakpoint
ALTER TABLE `integration_access` ADD `expiring_notified_for` integer;--> statement-breakpoint
CREATE INDEX `integration_access_hard_expiry` ON `integration_access` (`refresh_hard_expires_at`);--> statement-breakpoint
ALTER TABLE `pending_grants` ADD `refresh_hard_expires_at` integer;