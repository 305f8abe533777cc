-- A provider's webhook event names a tenant (a Xero organisation, a QuickBooks realm, a Gusto
-- company), never a workspace: this index finds every connection, in any workspace, that holds it,
-- without a scan. Nothing else changes; existing rows need no action.
CREATE INDEX `integration_access_tenant` ON `integration_access` (`integration`,`tenant_id`);
