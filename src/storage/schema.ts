// Drizzle schema for D1: connections (IntegrationAccess), pending grants, the data cache, the fetch
// log and the webhook outbox.
// Every timestamp is epoch milliseconds except data_cache.cache_date, the 12-month batch rule's key
// (epoch seconds).
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A tenant a grant covers, as held with a pending grant until its user picks. */
export interface GrantTenant {
  id: string;
  name: string | null;
  type: string | null;
  /** False for a tenant the grant lists but whose data this provider cannot read (a Xero practice). */
  readable: boolean;
  additionalInfo: Record<string, unknown>;
}

/**
 * One connection: a workspace's access to one tenant (company) of a provider, the `IntegrationAccess`
 * of Zebbra's original framework. One grant may back several connections (a Xero consent covering two
 * organisations): they share its tokens and its `generation`, and a refresh updates them together.
 */
export const integrationAccess = sqliteTable(
  "integration_access",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: text("workspace_id").notNull(),
    integration: text("integration").notNull(),
    /** AES-256-GCM ciphertext of the token set (access + refresh token), base64url. */
    tokenCiphertext: text("token_ciphertext").notNull(),
    /** Id of the encryption key that produced `tokenCiphertext`; lets keys rotate. */
    keyId: text("key_id").notNull(),
    /** When the access token expires (epoch ms); null when the provider did not say. */
    expiresAt: integer("expires_at"),
    scope: text("scope"),
    /** The provider's id of the company (Xero organisation, QuickBooks realm); '' for a provider without tenants. */
    tenantId: text("tenant_id").notNull().default(""),
    /** The company's name as the provider gave it at connect time, when it did. */
    tenantName: text("tenant_name"),
    requiresReconnect: integer("requires_reconnect", { mode: "boolean" }).notNull().default(false),
    /** Provider-specific JSON, e.g. every Xero tenant the grant covers. */
    additionalInfo: text("additional_info", { mode: "json" })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
    /** The provider's `connectionConfig` values for this connection (e.g. a subdomain), as checked at connect time. */
    config: text("config", { mode: "json" })
      .$type<Record<string, string>>()
      .notNull()
      .default(sql`'{}'`),
    /** When the current token set was obtained (code exchange or refresh); drives the refresh margin and keep-alive. */
    tokensIssuedAt: integer("tokens_issued_at").notNull().default(0),
    /**
     * When the grant's refresh token stops working however often it is used (Intuit: five years after
     * consent), as the provider stated it; null when it states none.
     */
    refreshHardExpiresAt: integer("refresh_hard_expires_at"),
    /** The `refreshHardExpiresAt` a `connection.expiring` event was recorded for: one event per expiry. */
    expiringNotifiedFor: integer("expiring_notified_for"),
    lastRefreshAt: integer("last_refresh_at"),
    /** Stable code and message of the last failed refresh; cleared by a successful one. Never holds a token. */
    lastRefreshError: text("last_refresh_error"),
    /** Consecutive failed refreshes. */
    refreshFailures: integer("refresh_failures").notNull().default(0),
    /**
     * Which grant this row holds: the workspace object's counter for the integration, raised by every
     * confirmed consent and never reused, so a late write for an earlier grant can be recognised. The
     * connections of one consent share it.
     */
    generation: integer("generation").notNull().default(0),
    /** The JWT `sub` of the user who confirmed the grant. */
    connectedBy: text("connected_by"),
    /** When the grant was confirmed (epoch ms). */
    connectedAt: integer("connected_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("integration_access_connection").on(t.workspaceId, t.integration, t.tenantId),
    index("integration_access_hard_expiry").on(t.refreshHardExpiresAt),
    // A provider's event names a tenant, not a workspace: this finds every workspace holding it.
    index("integration_access_tenant").on(t.integration, t.tenantId),
  ],
);

/**
 * The index of cached provider data per (connection, cache date of the 12-month batch rule): what the cron and
 * the warm-key cap need. The payload itself lives in the workspace's Durable Object storage.
 */
export const dataCache = sqliteTable(
  "data_cache",
  {
    workspaceId: text("workspace_id").notNull(),
    integration: text("integration").notNull(),
    /** The connection's tenant ('' for a provider without tenants). */
    tenantId: text("tenant_id").notNull().default(""),
    /** The 12-month batch rule's cache key: last day of the latest 31-day month not after from_date, UTC midnight, epoch seconds. */
    cacheDate: integer("cache_date").notNull(),
    /**
     * Rows written before payloads moved to the workspace's object hold their JSON here until their
     * first read moves it; null for every row since.
     */
    payload: text("payload"),
    /** When the payload was fetched from the provider (epoch ms). */
    createdAt: integer("created_at").notNull(),
    /** When the host app last asked for this key (epoch ms); cron keeps keys asked for within the retention window warm. */
    lastRequestedAt: integer("last_requested_at").notNull().default(0),
    /** Bytes of the payload's JSON (UTF-8) as stored in the workspace's object. */
    size: integer("size").notNull().default(0),
    /** The provider's data format (`dataFormat`) the payload was read with; older ones are due at once. */
    formatVersion: integer("format_version").notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.integration, t.tenantId, t.cacheDate] }),
    index("data_cache_refresh").on(t.lastRequestedAt, t.createdAt),
  ],
);

/**
 * A completed provider consent waiting for its user to confirm it (POST /integration/connections/confirm).
 * Not a connection yet; the cron revokes and deletes it 10 minutes after its consent.
 */
export const pendingGrants = sqliteTable(
  "pending_grants",
  {
    /** SHA-256 hex of the confirm token; the token itself is never stored. */
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    integration: text("integration").notNull(),
    /** The JWT `sub` of the user who started the connection; only they may confirm it. */
    userId: text("user_id").notNull(),
    tokenCiphertext: text("token_ciphertext").notNull(),
    keyId: text("key_id").notNull(),
    expiresAt: integer("expires_at"),
    scope: text("scope"),
    /** Every tenant the grant covers, as the provider listed them; the user picks among the readable ones at confirm. */
    tenants: text("tenants", { mode: "json" })
      .$type<GrantTenant[]>()
      .notNull()
      .default(sql`'[]'`),
    /** The connection config the session was started with. */
    config: text("config", { mode: "json" })
      .$type<Record<string, string>>()
      .notNull()
      .default(sql`'{}'`),
    tokensIssuedAt: integer("tokens_issued_at").notNull(),
    /** As in integration_access. */
    refreshHardExpiresAt: integer("refresh_hard_expires_at"),
    createdAt: integer("created_at").notNull(),
    /** When an unconfirmed grant is revoked and dropped (epoch ms). */
    pendingUntil: integer("pending_until").notNull(),
  },
  (t) => [index("pending_grants_expiry").on(t.pendingUntil)],
);

/**
 * The webhook outbox: one row per event, written in the same D1 batch as the state change it reports,
 * so an event exists exactly when its change does. The queue consumer delivers it and records each attempt.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    /** `msg_…`; sent as `webhook-id` on every attempt, so receivers can deduplicate. */
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    integration: text("integration").notNull(),
    type: text("type").notNull(),
    /** When the event happened (epoch ms): the body's `timestamp`. */
    occurredAt: integer("occurred_at").notNull(),
    /** The body's `data`: ids, dates and codes only, never a token, an amount or a name. */
    data: text("data", { mode: "json" }).$type<Record<string, string | number | boolean | null>>().notNull(),
    /** "pending" (not delivered yet, possibly between retries), "delivered" or "dead" (gave up). */
    state: text("state").notNull().default("pending"),
    /** Delivery attempts since the event was recorded or last redelivered. */
    attempts: integer("attempts").notNull().default(0),
    /** The receiver's status on the last attempt; null when it was not reached or did not answer in time. */
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    lastAttemptAt: integer("last_attempt_at"),
    /** When the next attempt is due (epoch ms); the cron re-queues pending events well past it. */
    nextAttemptAt: integer("next_attempt_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    index("webhook_events_workspace").on(t.workspaceId, t.occurredAt),
    index("webhook_events_due").on(t.state, t.nextAttemptAt),
  ],
);

export type IntegrationAccessRow = typeof integrationAccess.$inferSelect;
export type DataCacheRow = typeof dataCache.$inferSelect;
export type PendingGrantRow = typeof pendingGrants.$inferSelect;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
