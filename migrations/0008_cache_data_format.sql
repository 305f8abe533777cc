-- Each cached entry records the provider's data format it was read with. Every row cached before
-- this was read with format 1; a provider whose format is now higher (Xero and QuickBooks: their
-- reports were read with a meaning the provider does not give them) has those rows fetched again by
-- the next cron tick or read, and never served as fresh meanwhile.
ALTER TABLE `data_cache` ADD `format_version` integer DEFAULT 1 NOT NULL;
