// Webhooks in Xero's format, which Xero defined and the sandbox plays back (docs/sandbox.md): every
// delivery is signed with the app's webhook key, `x-xero-signature` being the base64 HMAC-SHA256 of
// the raw body; a wrong signature must get 401 and a right one 200, both with an empty body, within 5
// seconds, which is also how Xero's "intent to receive" (signed and unsigned POSTs with `events: []`)
// checks the endpoint before it sends anything. Here, not in src/providers/xero/, because providers
// import only the framework, and two of them speak it.
// https://developer.xero.com/documentation/guides/webhooks/overview/
// https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/
// The body's shape: XeroAPI/Xero-OpenAPI xero-webhooks.yaml (components.schemas.WebhookEvent).
import * as z from "zod/mini";
import { ProviderDataError } from "./data";
import { lazy } from "./lazy";
import { eventKind, hmacSha256Matches, type ProviderWebhooks } from "./provider-events";

/** The header carrying the signature. */
export const XERO_SIGNATURE_HEADER = "x-xero-signature";

const payload = lazy(() =>
  z.looseObject({
    events: z.array(
      z.looseObject({
        resourceId: z.string(),
        eventDateUtc: z.string(),
        eventType: z.string(),
        eventCategory: z.string(),
        tenantId: z.string(),
        tenantType: z.string(),
      }),
    ),
  }),
);

/** One event of a delivery, as Xero writes it. */
export type XeroFormatEvent = z.output<ReturnType<typeof payload>>["events"][number];

/** `provider`'s webhooks in Xero's format, verified with the key in `keyVariable`. */
export function xeroFormatWebhooks(provider: string, keyVariable: string): ProviderWebhooks {
  return {
    key: { variable: keyVariable },
    verify: ({ body, headers }, key) => hmacSha256Matches(key, body, headers.get(XERO_SIGNATURE_HEADER), "base64"),
    parse(body) {
      const parsed = payload().safeParse(body);
      if (!parsed.success) throw new ProviderDataError(provider, "the webhook body is not Xero's events payload");
      return (
        parsed.data.events
          // SUBSCRIPTION events are about the app (tenantType APPLICATION), not an organisation's books.
          .filter((e) => e.tenantType.toUpperCase() === "ORGANISATION")
          .map((e) => ({
            tenantId: e.tenantId,
            // The guide writes "Update", the spec "UPDATE": either is the same event.
            kind: eventKind(e.eventCategory, e.eventType),
            // Xero gives events no id: the same resource, change and moment is the same event.
            id: [e.tenantId, e.eventCategory, e.resourceId, e.eventType, e.eventDateUtc].join("|").toLowerCase(),
          }))
      );
    },
  };
}
