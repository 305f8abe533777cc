// OAuth state and one-time connect sessions in KV. Both expire after 10 minutes and are deleted
// when read; the workspace's Durable Object then claims them, so each is used at most once even
// where KV's eventual consistency would still return a deleted key.
import { randomId, sha256Hex } from "./hash";

const STATE_TTL_SECONDS = 600;
export const SESSION_TTL_SECONDS = 600;

const STATE_PREFIX = "oauth_state:";
const SESSION_PREFIX = "connect_session:";

/** What a login remembers until its callback. */
export interface OAuthState {
  workspaceId: string;
  userId: string;
  integration: string;
  codeVerifier: string | null;
  redirectUri: string;
  /** The connection config the login started with (the provider's connectionConfig values). */
  config: Record<string, string>;
  /**
   * The origin of the token endpoint that belongs to the authorize URL the login redirected to: the
   * callback exchanges the code (and sends the client secret) there or nowhere.
   */
  tokenOrigin: string;
  /** The host app's origin the callback page posts to (one of APP_ORIGIN's); absent in states saved before it was recorded. */
  appOrigin?: string;
  /** Where the callback sends the browser back (303) instead of ending on a page; null for a popup. */
  returnTo?: string | null;
  expiresAt: number;
}

/** A one-time permission to start a login, bound to user, workspace and provider. */
export interface ConnectSession {
  workspaceId: string;
  userId: string;
  integration: string;
  /** Checked against the provider's connectionConfig when the session was created. */
  config: Record<string, string>;
  /** The host app's origin that started it (one of APP_ORIGIN's); absent in sessions made before it was recorded. */
  appOrigin?: string;
  /** Where the callback sends the browser back, or null for a popup. */
  returnTo?: string | null;
  expiresAt: number;
}

/** The form an id takes in Durable Object claims: a hash, so no usable secret is stored there. */
export function claimKey(kind: "state" | "session", id: string): string {
  return `${kind}:${sha256Hex(id)}`;
}

export function saveState(
  kv: KVNamespace,
  value: Omit<OAuthState, "expiresAt">,
  now = Date.now(),
): Promise<{ id: string; record: OAuthState }> {
  return put(kv, STATE_PREFIX, STATE_TTL_SECONDS, value, now);
}

export function takeState(kv: KVNamespace, id: string, now = Date.now()): Promise<OAuthState | null> {
  return take<OAuthState>(kv, STATE_PREFIX + id, now);
}

export function saveConnectSession(
  kv: KVNamespace,
  value: Omit<ConnectSession, "expiresAt">,
  now = Date.now(),
): Promise<{ id: string; record: ConnectSession }> {
  return put(kv, SESSION_PREFIX, SESSION_TTL_SECONDS, value, now);
}

export function takeConnectSession(kv: KVNamespace, id: string, now = Date.now()): Promise<ConnectSession | null> {
  return take<ConnectSession>(kv, SESSION_PREFIX + id, now);
}

/** Stores `value` under a fresh random id, with its own expiry and the same KV TTL. */
async function put<T extends object>(
  kv: KVNamespace,
  prefix: string,
  ttlSeconds: number,
  value: T,
  now: number,
): Promise<{ id: string; record: T & { expiresAt: number } }> {
  const id = randomId();
  const record = { ...value, expiresAt: now + ttlSeconds * 1000 };
  await kv.put(prefix + id, JSON.stringify(record), { expirationTtl: ttlSeconds });
  return { id, record };
}

/** Reads and deletes; an entry past its own expiry counts as absent (KV expiry is not instant). */
async function take<T extends { expiresAt: number }>(kv: KVNamespace, key: string, now: number): Promise<T | null> {
  if (key.length > 512) return null; // KV's key limit; a longer id is not ours
  const value = await kv.get<T>(key, "json");
  if (value === null) return null;
  await kv.delete(key);
  return value.expiresAt > now ? value : null;
}
