// Small hashing and randomness helpers shared by state handling and the token lifecycle.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";

/** SHA-256 of the UTF-8 text, lower-case hex: how a secret is referred to without storing it. */
export function sha256Hex(text: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(text)));
}

/** 32 random bytes, base64url without padding. */
export function randomId(): string {
  return encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
}

const hmacKeys = new Map<string, ReturnType<typeof crypto.subtle.importKey>>();

/** An HMAC-SHA256 verification key for `secret`, imported once per isolate instead of on every request. */
export function hmacVerifyKey(secret: string): ReturnType<typeof crypto.subtle.importKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    hmacKeys.set(secret, key);
  }
  return key;
}
