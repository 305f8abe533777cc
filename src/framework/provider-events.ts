// Incoming provider webhooks: what a provider declares about its own deliveries (how they are signed,
// what they name) and the one shared check, an HMAC-SHA256 over the raw body compared in constant
// time. The route (src/edge/routes/provider-webhooks.ts) and the queue consumer do the rest.
import { decodeBase64, decodeHex } from "@oslojs/encoding";
import { hmacVerifyKey } from "./hash";

/** One change a provider reported: the tenant it happened in and what changed. */
export interface ProviderEvent {
  /** The provider's tenant id (Xero organisation, QuickBooks realm, Gusto company uuid). */
  tenantId: string;
  /** What changed, `<entity>.<action>` in lower case (`invoice.updated`). */
  kind: string;
  /**
   * Names this change across redeliveries, to drop duplicates: the provider's event id where it has
   * one (CloudEvents `id`, Gusto `uuid`), else the event's own fields joined.
   */
  id: string;
}

/** A delivery as it arrived: the raw bytes (never re-serialized) and the headers. */
export interface Delivery {
  body: Uint8Array<ArrayBuffer>;
  headers: Headers;
}

/** A subscription handshake (Gusto): the unsigned POST of a token, confirmed by an API call. */
export interface Handshake {
  /** The token and the subscription it is for, or null when `body` is not a handshake. */
  read(body: unknown): { token: string; subscriptionId: string | null } | null;
  /** The call confirming it, relative to the provider's API base URL. */
  confirm(handshake: { token: string; subscriptionId: string }): {
    method: "PUT" | "POST";
    path: string;
    body: unknown;
  };
  /**
   * The variable holding a legacy organization API token; when set, the confirm call is authorized
   * with it in the `Token` scheme.
   */
  apiTokenVariable: string;
  /**
   * Otherwise the confirm call takes a system-level access token (`Bearer`), minted by POSTing this
   * JSON body, made from the OAuth app's credentials, to the provider's token URL.
   */
  systemTokenRequest: (app: { clientId: string; clientSecret: string }) => Record<string, string>;
  /** The variable naming the subscription, for a handshake body that does not. */
  subscriptionVariable: string;
}

/** How a provider's webhooks reach `POST /integration/<provider>/webhooks`. */
export interface ProviderWebhooks {
  /**
   * What signs a delivery: a variable the operator sets from the provider's developer portal
   * (`XERO_WEBHOOK_KEY`), or the token the subscription handshake delivered (Gusto).
   */
  key: { variable: string } | { handshake: Handshake };
  /** Whether `delivery` is signed with `key`; constant-time, over the raw body. */
  verify(delivery: Delivery, key: string): Promise<boolean>;
  /**
   * The events of a verified body (parsed JSON): [] for one that names none (Xero's intent to
   * receive). Throws ProviderDataError for a body that is not the provider's format.
   */
  parse(body: unknown): ProviderEvent[];
}

/**
 * Whether `signature` (base64 or hex, as the provider sends it) is the HMAC-SHA256 of `body` under
 * `secret`. `crypto.subtle.verify` compares in constant time; a missing or undecodable signature is false.
 */
export async function hmacSha256Matches(
  secret: string,
  body: Uint8Array<ArrayBuffer>,
  signature: string | null,
  encoding: "base64" | "hex",
): Promise<boolean> {
  if (!signature) return false;
  let mac: Uint8Array;
  try {
    mac = encoding === "base64" ? decodeBase64(signature.trim()) : decodeHex(signature.trim());
  } catch {
    return false;
  }
  return crypto.subtle.verify("HMAC", await hmacVerifyKey(secret), new Uint8Array(mac), body);
}

const PAST = new Map([
  ["create", "created"],
  ["update", "updated"],
  ["delete", "deleted"],
  ["merge", "merged"],
  ["void", "voided"],
  ["emailed", "emailed"],
]);

/** `<entity>.<action>` in lower case, the action in the past tense (`Invoice`, `Update` → `invoice.updated`). */
export function eventKind(entity: string, action: string): string {
  const verb = action.toLowerCase();
  return `${entity.toLowerCase()}.${PAST.get(verb) ?? verb}`;
}
