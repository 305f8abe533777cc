// The webhook outbox for workspace admins: recent events with their delivery state, and sending one
// again. Events themselves are written by the workspace object (docs/webhooks.md).
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { FailureError } from "../../framework/failure";
import { webhookSettings } from "../../framework/settings";
import { WEBHOOK_EVENT_TYPES, WEBHOOK_ID_PATTERN } from "../../framework/webhooks";
import { db } from "../../storage/db";
import { listWebhookEvents, type StoredWebhookEvent } from "../../storage/webhooks";
import { workspaceClient } from "../../workspace/client";
import { authenticated, requireRole } from "../auth";
import { describe } from "../docs";
import type { AppEnv } from "../env";
import { described, fields, param, query } from "../validate";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const eventSchema = () =>
  z.object({
    id: described(z.string(), "The `webhook-id` header of every attempt"),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    timestamp: described(z.string(), "When the event happened, ISO 8601: the body's `timestamp`"),
    data: described(
      z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
      "The body's `data`",
    ),
    state: described(
      z.enum(["pending", "delivered", "dead"]),
      "pending: not delivered yet (maybe between retries); dead: gave up after every attempt",
    ),
    attempts: described(z.number(), "Attempts since the event was recorded or last redelivered"),
    last_status: described(z.nullable(z.number()), "The receiver's HTTP status on the last attempt"),
    last_error: described(
      z.nullable(z.string()),
      "Why the last attempt failed: `HTTP <status>`, `timeout`, `network`, or this server's webhook setting at fault; never the receiver's body",
    ),
    last_attempt_at: z.nullable(z.string()),
    next_attempt_at: described(z.nullable(z.string()), "When a pending event is tried next"),
    delivered_at: z.nullable(z.string()),
  });

function eventEntry(e: StoredWebhookEvent): z.output<ReturnType<typeof eventSchema>> {
  return {
    id: e.id,
    type: e.type as z.output<ReturnType<typeof eventSchema>>["type"],
    timestamp: new Date(e.occurredAt).toISOString(),
    data: e.data,
    state: e.state,
    attempts: e.attempts,
    last_status: e.lastStatus,
    last_error: e.lastError,
    last_attempt_at: iso(e.lastAttemptAt),
    next_attempt_at: e.state === "pending" ? iso(e.nextAttemptAt) : null,
    delivered_at: iso(e.deliveredAt),
  };
}

const eventId = described(
  z.string().check(z.regex(WEBHOOK_ID_PATTERN, { message: "must be an event id (msg_…)" })),
  "The event's id (msg_…)",
);

export const webhookRoutes = new Hono<AppEnv>()
  .get(
    "/integration/webhooks/events",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Webhooks",
        summary: "List the workspace's recent webhook events with their delivery state, newest first",
        access: "admin",
        responses: {
          200: {
            description: "Events, newest first; `enabled` is false when this server sends no webhooks",
            schema: z.object({ enabled: z.boolean(), events: z.array(eventSchema()) }),
          },
        },
      },
    ),
    authenticated,
    query(
      z.object({
        workspace_id: fields.workspaceId,
        limit: described(
          z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(200))),
          "How many, 1 to 200 (default 50)",
        ),
        before: described(
          z.optional(z.iso.datetime()),
          "Only events that happened before this time (ISO 8601): the last page's oldest `timestamp`",
        ),
        state: described(z.optional(z.enum(["pending", "delivered", "dead"])), "Only events in this state"),
      }),
    ),
    requireRole("admin", "query"),
    async (c) => {
      const { workspace_id, limit, before, state } = c.req.valid("query");
      const events = await listWebhookEvents(db(c.env.DB), workspace_id, {
        limit: limit ?? 50,
        ...(before === undefined ? {} : { before: Date.parse(before) }),
        ...(state === undefined ? {} : { state }),
      });
      return c.json({ enabled: webhookSettings(c.env).url !== undefined, events: events.map(eventEntry) });
    },
  )
  .post(
    "/integration/webhooks/events/:id/redeliver",
    describe(
      process.env.NODE_ENV !== "production" && {
        tag: "Webhooks",
        summary: "Send a delivered or dead webhook event again, now, with a fresh set of attempts (same webhook-id)",
        access: "admin",
        responses: {
          202: { description: "Queued: the event, pending again", schema: eventSchema() },
          404: { description: "not_found: no such event in this workspace" },
          409: {
            description:
              "webhook_pending: the event is pending and is retried on its own; webhooks_disabled: WEBHOOK_URL is not set on this server",
          },
          429: {
            description:
              "rate_limited: the workspace redelivered LIMIT_WEBHOOK_REDELIVERIES_PER_HOUR events this hour; Retry-After says when it may again",
          },
        },
      },
    ),
    authenticated,
    param(z.object({ id: eventId })),
    query(z.object({ workspace_id: fields.workspaceId })),
    requireRole("admin", "query"),
    async (c) => {
      const outcome = await workspaceClient(c.env, c.req.valid("query").workspace_id).redeliverWebhook(
        c.req.valid("param").id,
      );
      if (!outcome.ok) throw FailureError.of(outcome.failure);
      return c.json(eventEntry(outcome.event), 202);
    },
  );
