// AES-256-GCM encryption of token sets at rest, with a key ring so keys can rotate: the current key
// encrypts, every listed key decrypts, and each ciphertext records the id of the key that made it.
// A sealed set is bound (as additional data) to the record that holds it: its workspace, provider,
// kind of record and grant generation (or pending grant id).
import { decodeBase64, decodeBase64url, encodeBase64url } from "@oslojs/encoding";
import type { TokenSet } from "./oauth/types";
import { readVar } from "./settings";

const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const IV_BYTES = 12;

export class KeyRing {
  private constructor(
    readonly currentId: string,
    private readonly keys: ReadonlyMap<string, CryptoKey>,
  ) {}

  /**
   * Builds a ring from `"<id>:<base64 32 bytes>"` for the current key and a comma-separated list of
   * earlier keys. Throws (naming the variable, never the key) on malformed input.
   */
  static async fromConfig(current: string, previous = ""): Promise<KeyRing> {
    const entries = [parseKey(current, "TOKEN_ENCRYPTION_KEY")];
    for (const item of previous
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      entries.push(parseKey(item, "TOKEN_ENCRYPTION_PREVIOUS_KEYS"));
    }
    const keys = new Map<string, CryptoKey>();
    for (const { id, raw } of entries) {
      if (keys.has(id)) continue; // the current key wins over a stale duplicate in the previous list
      keys.set(id, await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
    }
    return new KeyRing(entries[0]!.id, keys);
  }

  /** Encrypts `plaintext`, binding it to `context` (additional data) so a ciphertext cannot be moved to another row. */
  async encrypt(plaintext: string, context: string): Promise<{ keyId: string; ciphertext: string }> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
      this.keys.get(this.currentId)!,
      new TextEncoder().encode(plaintext),
    );
    const out = new Uint8Array(IV_BYTES + sealed.byteLength);
    out.set(iv);
    out.set(new Uint8Array(sealed), IV_BYTES);
    return { keyId: this.currentId, ciphertext: encodeBase64url(out) };
  }

  async decrypt(ciphertext: string, keyId: string, context: string): Promise<string> {
    const key = this.keys.get(keyId);
    if (!key)
      throw new Error(`Token encryption key "${keyId}" is not configured; add it to TOKEN_ENCRYPTION_PREVIOUS_KEYS`);
    const bytes = decodeBase64url(ciphertext);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: new TextEncoder().encode(context) },
      key,
      bytes.subarray(IV_BYTES),
    );
    return new TextDecoder().decode(plain);
  }
}

function parseKey(value: string, variable: string): { id: string; raw: Uint8Array<ArrayBuffer> } {
  const sep = value.indexOf(":");
  const id = value.slice(0, sep);
  if (sep < 1 || !KEY_ID_PATTERN.test(id))
    throw new Error(`${variable} must look like "<key id>:<base64 of 32 bytes>"`);
  let raw: Uint8Array;
  try {
    raw = decodeBase64(value.slice(sep + 1).trim());
  } catch {
    throw new Error(`${variable}: key "${id}" is not valid base64`);
  }
  if (raw.length !== 32) throw new Error(`${variable}: key "${id}" must be 32 bytes (AES-256), got ${raw.length}`);
  return { id, raw: new Uint8Array(raw) };
}

const rings = new Map<string, Promise<KeyRing>>();

/** The key ring for this env, imported once per isolate. */
export function keyRingFromEnv(env: Env): Promise<KeyRing> {
  const current = env.TOKEN_ENCRYPTION_KEY;
  if (!current) throw new Error("TOKEN_ENCRYPTION_KEY is not set");
  const previous = readVar(env, "TOKEN_ENCRYPTION_PREVIOUS_KEYS") ?? "";
  const cacheKey = `${current}\n${previous}`;
  let ring = rings.get(cacheKey);
  if (!ring) {
    ring = KeyRing.fromConfig(current, previous);
    rings.set(cacheKey, ring);
    ring.catch(() => rings.delete(cacheKey));
  }
  return ring;
}

/** A token set as stored: ciphertext plus the id of the key that made it. */
export interface SealedTokens {
  ciphertext: string;
  keyId: string;
}

/**
 * Where a sealed token set is kept, which its additional data binds it to: a connection row (of one
 * grant, by generation), a pending grant (by its id), or a refreshed set the workspace object holds
 * until D1 has it (by generation). A ciphertext opens only as the record it was sealed for.
 */
export type TokenRecord =
  | { kind: "connection"; workspaceId: string; integration: string; generation: number }
  | { kind: "pending_grant"; workspaceId: string; integration: string; id: string }
  | { kind: "rotated"; workspaceId: string; integration: string; generation: number };

/**
 * Prefix of every ciphertext sealed with the record-bound additional data. Ciphertexts without it
 * (base64url never holds a ".") were sealed before, bound to (workspace, integration) only; they
 * still open until the re-seal job (src/jobs/reseal.ts) has moved them.
 */
export const SEAL_FORMAT = "v2.";

const recordContext = (record: TokenRecord): string => {
  const binding = record.kind === "pending_grant" ? record.id : String(record.generation);
  return ["zebbra.tokens.v2", record.kind, record.workspaceId, record.integration, binding].join("\u0000");
};

/** The first format's additional data: any record of the (workspace, integration). */
const legacyContext = (record: TokenRecord) =>
  `integration_access\u0000${record.workspaceId}\u0000${record.integration}`;

/** Whether `sealed` is in the current format under the ring's current key (nothing for the re-seal job to do). */
export function isCurrentSeal(ring: KeyRing, sealed: SealedTokens): boolean {
  return sealed.keyId === ring.currentId && sealed.ciphertext.startsWith(SEAL_FORMAT);
}

/** Encrypts a token set under the ring's current key, bound to `record`. */
export async function sealTokens(ring: KeyRing, record: TokenRecord, tokens: TokenSet): Promise<SealedTokens> {
  const { keyId, ciphertext } = await ring.encrypt(JSON.stringify(tokens), recordContext(record));
  return { keyId, ciphertext: SEAL_FORMAT + ciphertext };
}

/**
 * Decrypts what sealTokens wrote for the same record, or a first-format ciphertext of the same
 * (workspace, integration); throws on any mismatch (another record, generation, workspace or key).
 */
export async function openTokens(ring: KeyRing, record: TokenRecord, sealed: SealedTokens): Promise<TokenSet> {
  const current = sealed.ciphertext.startsWith(SEAL_FORMAT);
  const plaintext = current
    ? await ring.decrypt(sealed.ciphertext.slice(SEAL_FORMAT.length), sealed.keyId, recordContext(record))
    : await ring.decrypt(sealed.ciphertext, sealed.keyId, legacyContext(record));
  return JSON.parse(plaintext) as TokenSet;
}
