// QuickBooks Online webhooks: every delivery is signed with the app's verifier token,
// `intuit-signature` being the base64 HMAC-SHA256 of the raw body.
// https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks
// Two bodies: the CloudEvents array (`type` like `qbo.invoice.updated.v1`, `intuitaccountid` the
// realm), which Intuit makes mandatory in 2026, and the legacy `eventNotifications[].realmId` form.
// https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/configure-webhooks
// https://medium.com/intuitdev/upcoming-change-to-webhooks-payload-structure-2a87dab642d0
import * as z from "zod/mini";
import { ProviderDataError } from "../../framework/data";
import { lazy } from "../../framework/lazy";
import {
  eventKind,
  hmacSha256Matches,
  type ProviderEvent,
  type ProviderWebhooks,
} from "../../framework/provider-events";

const cloudEvents = lazy(() =>
  z.array(z.looseObject({ id: z.string(), type: z.string(), intuitaccountid: z.string() })),
);

const legacy = lazy(() =>
  z.looseObject({
    eventNotifications: z.array(
      z.looseObject({
        realmId: z.string(),
        dataChangeEvent: z.looseObject({
          entities: z.array(
            z.looseObject({
              name: z.string(),
              id: z.string(),
              operation: z.string(),
              lastUpdated: z.optional(z.string()),
            }),
          ),
        }),
      }),
    ),
  }),
);

/** `qbo.<entity>.<action>.v<n>` → `<entity>.<action>`; any other type as it is, in lower case. */
function kindOf(type: string): string {
  const m = /^qbo\.([a-z0-9_]+)\.([a-z0-9_]+)\.v\d+$/i.exec(type);
  return m ? eventKind(m[1]!, m[2]!) : type.toLowerCase();
}

export const quickbooksWebhooks = {
  key: { variable: "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN" },
  verify: ({ body, headers }, key) => hmacSha256Matches(key, body, headers.get("intuit-signature"), "base64"),
  parse(body): ProviderEvent[] {
    if (Array.isArray(body)) {
      const parsed = cloudEvents().safeParse(body);
      if (!parsed.success) throw new ProviderDataError("QuickBooks", "the webhook body is not a CloudEvents array");
      return parsed.data.map((e) => ({ tenantId: e.intuitaccountid, kind: kindOf(e.type), id: e.id }));
    }
    const parsed = legacy().safeParse(body);
    if (!parsed.success) throw new ProviderDataError("QuickBooks", "the webhook body is not Intuit's payload");
    return parsed.data.eventNotifications.flatMap((n) =>
      n.dataChangeEvent.entities.map((e) => ({
        tenantId: n.realmId,
        kind: eventKind(e.name, e.operation),
        // The legacy form has no event id: the same entity, operation and update is the same event.
        id: [n.realmId, e.name, e.id, e.operation, e.lastUpdated ?? ""].join("|").toLowerCase(),
      })),
    );
  },
} satisfies ProviderWebhooks;
