-- The fetch log moves into each workspace's Durable Object (a fetch no longer writes it to D1, and no
-- one database holds every workspace's runs). Runs logged before this are not carried over: a
-- connection's status shows its next run once it ends.
DROP TABLE `fetch_runs`;
