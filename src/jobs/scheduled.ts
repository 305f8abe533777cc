// The cron trigger's work: token keep-alive, then cache refresh dispatch. Each runs even if the
// other fails; failures are logged.
import { dispatchDueFetches } from "./dispatch";
import { keepAlivePass } from "./keep-alive";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const [keepAlive, dispatch] = await Promise.allSettled([keepAlivePass(env, controller.scheduledTime), dispatchDueFetches(env, controller.scheduledTime)]);
  for (const [name, result] of [["keep-alive", keepAlive], ["dispatch", dispatch]] as const) {
    if (result.status === "fulfilled") console.log("cron", controller.cron, name, JSON.stringify(result.value));
    else console.error("cron", controller.cron, name, "failed", result.reason);
  }
}
