// Connections whose refresh token reaches its hard expiry soon, and the record that a
// `connection.expiring` event went out for that expiry: event and mark in one batch, each only if the
// row still has that expiry and no event for it, so two cron runs never send it twice.
import { and, asc, eq, isNotNull, isNull, lte, ne, or, type SQL } from "drizzle-orm";
import { type Db, storageOp } from "./db";
import { integrationAccess } from "./schema";
import { insertEventIf, type OutboxEvent } from "./webhooks";

/** A healthy connection whose hard expiry is near and was not announced yet. */
export interface ExpiringConnection {
  id: number;
  workspaceId: string;
  integration: string;
  tenantId: string;
  refreshHardExpiresAt: number;
}

const notAnnounced = (which: SQL | undefined) =>
  and(
    which,
    eq(integrationAccess.requiresReconnect, false),
    or(
      isNull(integrationAccess.expiringNotifiedFor),
      ne(integrationAccess.expiringNotifiedFor, integrationAccess.refreshHardExpiresAt),
    ),
  );

/** Connections (not already needing a reconnect) whose hard expiry is at or before `before` and not announced, soonest first. */
export const expiringConnections = storageOp(
  "list expiring connections",
  async (d: Db, before: number, limit: number): Promise<ExpiringConnection[]> => {
    const rows = await d
      .select({
        id: integrationAccess.id,
        workspaceId: integrationAccess.workspaceId,
        integration: integrationAccess.integration,
        tenantId: integrationAccess.tenantId,
        refreshHardExpiresAt: integrationAccess.refreshHardExpiresAt,
      })
      .from(integrationAccess)
      .where(
        notAnnounced(
          and(isNotNull(integrationAccess.refreshHardExpiresAt), lte(integrationAccess.refreshHardExpiresAt, before)),
        ),
      )
      .orderBy(asc(integrationAccess.refreshHardExpiresAt))
      .limit(limit)
      .all();
    return rows.flatMap((r) =>
      r.refreshHardExpiresAt === null ? [] : [{ ...r, refreshHardExpiresAt: r.refreshHardExpiresAt }],
    );
  },
);

/**
 * Records for each connection that its expiry was announced, with its event (when webhooks record
 * one), in one batch; a connection whose row changed meanwhile (another expiry, a reconnect needed,
 * announced by a concurrent run) is left alone. Returns the ids of the connections marked now.
 */
export const markExpiringAnnounced = storageOp(
  "record expiring announcements",
  async (
    d: Db,
    notices: readonly { connection: ExpiringConnection; event: OutboxEvent | undefined }[],
  ): Promise<number[]> => {
    const still = (c: ExpiringConnection) =>
      notAnnounced(
        and(eq(integrationAccess.id, c.id), eq(integrationAccess.refreshHardExpiresAt, c.refreshHardExpiresAt)),
      );
    // Per notice, the event first (while the row still shows it unannounced), then the mark.
    const statements = notices.flatMap(({ connection, event }) => [
      ...(event ? [insertEventIf(d, event, still(connection))] : []),
      d
        .update(integrationAccess)
        .set({ expiringNotifiedFor: connection.refreshHardExpiresAt })
        .where(still(connection))
        .returning({ id: integrationAccess.id }),
    ]);
    const [first, ...rest] = statements;
    if (!first) return [];
    const results = await d.batch([first, ...rest]);
    const marked: number[] = [];
    let i = 0;
    for (const { connection, event } of notices) {
      if (event) i++;
      if (((results[i++] as readonly unknown[] | undefined)?.length ?? 0) > 0) marked.push(connection.id);
    }
    return marked;
  },
);
