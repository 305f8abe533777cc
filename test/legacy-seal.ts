// Token sets sealed as the first format did, before sealed sets were bound to their record: AES-256-GCM
// with (workspace, integration) as additional data and no format prefix. Written here from the format
// itself, not with the service's code, so tests can fill storage as an older deployment left it.
import { decodeBase64, encodeBase64url } from "@oslojs/encoding";
import type { TokenSet } from "../src/framework/oauth/types";

/** Seals `tokens` under `key` (`<id>:<base64 of 32 bytes>`, as TOKEN_ENCRYPTION_KEY) in the first format. */
export async function sealLegacy(
  key: string,
  workspaceId: string,
  integration: string,
  tokens: TokenSet,
): Promise<{ ciphertext: string; keyId: string }> {
  const [keyId, raw] = key.split(":") as [string, string];
  const cryptoKey = await crypto.subtle.importKey("raw", new Uint8Array(decodeBase64(raw)), "AES-GCM", false, [
    "encrypt",
  ]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const additionalData = new TextEncoder().encode(`integration_access\u0000${workspaceId}\u0000${integration}`);
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData },
    cryptoKey,
    new TextEncoder().encode(JSON.stringify(tokens)),
  );
  const out = new Uint8Array(12 + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), 12);
  return { keyId, ciphertext: encodeBase64url(out) };
}
