// Sandbox webhooks: the sandbox's "Change the books" action (src/edge/sandbox/changes.ts) sends them
// in Xero's format (src/framework/xero-format-webhooks.ts), signed with SANDBOX_WEBHOOK_KEY, so the
// whole incoming path can be tried without a Xero account (docs/sandbox.md).
import { xeroFormatWebhooks } from "../../framework/xero-format-webhooks";

export const sandboxWebhooks = xeroFormatWebhooks("Sandbox", "SANDBOX_WEBHOOK_KEY");
