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
