-- Fetch runs are now written once, when the attempt ends, so nothing marks a run abandoned any more:
-- close the rows still "running" from before (a fetch of the old code that does finish still updates its row).
UPDATE `fetch_runs` SET `outcome` = 'error', `error` = 'abandoned: the fetch never finished (its workspace object restarted)', `finished_at` = `started_at` WHERE `outcome` = 'running';
