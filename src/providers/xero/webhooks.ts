// Xero webhooks: Xero's own format (src/framework/xero-format-webhooks.ts, with its sources), signed
// with the webhooks key the app's "Webhooks" tab shows.
// https://developer.xero.com/documentation/guides/webhooks/overview/
import { xeroFormatWebhooks } from "../../framework/xero-format-webhooks";

export const xeroWebhooks = xeroFormatWebhooks("Xero", "XERO_WEBHOOK_KEY");
