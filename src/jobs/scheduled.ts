// The cron trigger's work: token keep-alive (and, with the adapters, cache refresh dispatch).
import { keepAlivePass } from "./keep-alive";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const keepAlive = await keepAlivePass(env, controller.scheduledTime);
  console.log("cron", controller.cron, "keep-alive", JSON.stringify(keepAlive));
}
