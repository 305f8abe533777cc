// The cron trigger's work: seeding the fan-out (cache refresh and token keep-alive, src/jobs/dispatch.ts),
// expiry of unconfirmed grants, and the webhook outbox's housekeeping (lost messages, old events). The
// fetch log keeps itself, in each workspace's object.
// Each runs even if another fails; failures are logged.
import { seedDispatch } from "./dispatch";
import { expirePendingGrants } from "./pending-grants";
import { sweepWebhooks } from "./webhooks";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = controller.scheduledTime;
  const [dispatch, pending, webhooks] = await Promise.allSettled([
    seedDispatch(env, now),
    expirePendingGrants(env, now),
    sweepWebhooks(env, now),
  ]);
  for (const [name, result] of [
    ["dispatch", dispatch],
    ["pending-grants", pending],
    ["webhooks", webhooks],
  ] as const) {
    if (result.status === "fulfilled") console.log("cron", controller.cron, name, JSON.stringify(result.value));
    else console.error("cron", controller.cron, name, "failed", result.reason);
  }
}
