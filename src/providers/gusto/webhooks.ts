// Gusto webhooks. An operator creates the subscription (npm run webhooks:gusto:subscribe); Gusto then
// POSTs `{"verification_token": …}` here, unsigned, and the subscription only starts once that token
// is sent back through PUT /v1/webhook_subscriptions/{uuid}/verify (authorized with the
// organization's API token). Every event after that carries `X-Gusto-Signature`, the hex
// HMAC-SHA256 of the raw body keyed with that token. Events name the company as `resource_uuid`.
// https://docs.gusto.com/app-integrations/docs/webhooks
// The verify call is authorized, up to API version 2023-04-01, with "the organization level api token
// and the Token scheme"
// (https://docs.gusto.com/embedded-payroll/v2023-04-01/reference/put-v1-verify-webhook-subscription-uuid);
// from 2024-04-01 with a system access token in the Bearer scheme, minted by POST /oauth/token with
// the app's client_id and client_secret and `grant_type: system_access` as JSON
// (https://docs.gusto.com/app-integrations/docs/api-tokens).
import * as z from "zod/mini";
import { ProviderDataError } from "../../framework/data";
import { lazy } from "../../framework/lazy";
import { hmacSha256Matches, type ProviderWebhooks } from "../../framework/provider-events";

const handshake = lazy(() =>
  z.object({
    verification_token: z.string().check(z.minLength(1), z.maxLength(512)),
    webhook_subscription_uuid: z.optional(z.string().check(z.regex(/^[0-9a-fA-F-]{1,64}$/))),
  }),
);

const event = lazy(() =>
  z.looseObject({
    uuid: z.string(),
    event_type: z.string(),
    resource_type: z.string(),
    resource_uuid: z.string(),
  }),
);

export const gustoWebhooks = {
  key: {
    handshake: {
      read(body) {
        const parsed = handshake().safeParse(body);
        if (!parsed.success) return null;
        return { token: parsed.data.verification_token, subscriptionId: parsed.data.webhook_subscription_uuid ?? null };
      },
      confirm: ({ token, subscriptionId }) => ({
        method: "PUT",
        path: `/v1/webhook_subscriptions/${encodeURIComponent(subscriptionId)}/verify`,
        body: { verification_token: token },
      }),
      apiTokenVariable: "GUSTO_ORG_API_TOKEN",
      systemTokenRequest: ({ clientId, clientSecret }) => ({
        client_id: clientId,
        client_secret: clientSecret,
        grant_type: "system_access",
      }),
      subscriptionVariable: "GUSTO_WEBHOOK_SUBSCRIPTION_UUID",
    },
  },
  verify: ({ body, headers }, key) => hmacSha256Matches(key, body, headers.get("x-gusto-signature"), "hex"),
  parse(body) {
    const parsed = event().safeParse(body);
    if (!parsed.success) throw new ProviderDataError("Gusto", "the webhook body is not a Gusto event");
    const e = parsed.data;
    // Gusto: "For all webhook events, the resource_type will be Company".
    if (e.resource_type !== "Company") return [];
    return [{ tenantId: e.resource_uuid, kind: e.event_type.toLowerCase(), id: e.uuid }];
  },
} satisfies ProviderWebhooks;
