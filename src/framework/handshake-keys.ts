// The signing key a provider's subscription handshake delivers (Gusto's verification_token): confirmed
// with the provider first, then sealed under the token encryption key and kept in OAUTH_KV, since it
// signs every later delivery. Only a token the provider itself confirmed is kept, so an unsigned
// handshake POST from anyone else can never replace the key.
import { keyRingFromEnv } from "./crypto";
import { resolveOAuthApp } from "./oauth/app";
import type { Handshake } from "./provider-events";
import type { RegisteredProvider } from "./provider";
import { readVar } from "./settings";

/** OAUTH_KV: `provider-webhook-key:<provider slug>` → `{ keyId, ciphertext }`, no expiry. */
const kvKey = (provider: RegisteredProvider) => `provider-webhook-key:${provider.slug}`;

/**
 * The confirm call's Authorization: the legacy organization API token (`Token`) when its variable is
 * set, else a system access token (`Bearer`) minted with the OAuth app's credentials; undefined
 * when neither is available. Never logs a token.
 */
async function authorization(
  env: Env,
  provider: RegisteredProvider,
  handshake: Handshake,
): Promise<string | undefined> {
  const legacy = readVar(env, handshake.apiTokenVariable);
  if (legacy) return `Token ${legacy}`;
  const resolution = resolveOAuthApp(provider, env);
  if (!resolution.configured) return undefined;
  const { app } = resolution;
  const res = await fetch(app.tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(handshake.systemTokenRequest(app)),
    redirect: "manual",
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = res.ok ? await res.json().catch(() => null) : (await res.body?.cancel(), null);
  const token =
    typeof body === "object" && body !== null ? (body as { access_token?: unknown }).access_token : undefined;
  if (typeof token !== "string" || token === "") {
    console.warn(
      `${provider.name} webhook handshake: no system access token (the token endpoint answered ${res.status})`,
    );
    return undefined;
  }
  return `Bearer ${token}`;
}

/** The stored key, or undefined before a handshake was confirmed. */
export async function readHandshakeKey(env: Env, provider: RegisteredProvider): Promise<string | undefined> {
  const sealed = await env.OAUTH_KV.get<{ keyId: string; ciphertext: string }>(kvKey(provider), "json");
  if (!sealed) return undefined;
  return (await keyRingFromEnv(env)).decrypt(sealed.ciphertext, sealed.keyId, kvKey(provider));
}

export type HandshakeOutcome = "confirmed" | "refused" | "unavailable" | "not_configured";

/**
 * Confirms a handshake with the provider (`handshake.confirm`, authorized with the organization's API
 * token) and keeps its token when the provider accepts it. Never throws; never logs the token.
 */
export async function confirmHandshake(
  env: Env,
  provider: RegisteredProvider,
  handshake: Handshake,
  received: { token: string; subscriptionId: string | null },
): Promise<HandshakeOutcome> {
  const configured = readVar(env, handshake.subscriptionVariable);
  // With the subscription named here, a handshake for any other costs no call to the provider.
  if (configured !== undefined && received.subscriptionId !== null && received.subscriptionId !== configured) {
    console.warn(`${provider.name} webhook handshake ignored: it names another subscription`);
    return "refused";
  }
  const subscriptionId = received.subscriptionId ?? configured;
  if (!subscriptionId) {
    console.warn(`${provider.name} webhook handshake not confirmed: set ${handshake.subscriptionVariable}`);
    return "not_configured";
  }
  const call = handshake.confirm({ token: received.token, subscriptionId });
  const base = (readVar(env, `${provider.envPrefix}_API_BASE_URL`) ?? provider.oauth.apiBaseUrl).replace(/\/+$/, "");
  let status: number;
  try {
    const auth = await authorization(env, provider, handshake);
    if (auth === undefined) {
      console.warn(
        `${provider.name} webhook handshake not confirmed: set ${handshake.apiTokenVariable} or the app's client credentials`,
      );
      return "not_configured";
    }
    const res = await fetch(`${base}${call.path}`, {
      method: call.method,
      headers: {
        Authorization: auth,
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      body: JSON.stringify(call.body),
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    status = res.status;
    await res.body?.cancel();
  } catch {
    console.warn(`${provider.name} webhook handshake: the provider could not be reached`);
    return "unavailable";
  }
  if (status >= 200 && status < 300) {
    const sealed = await (await keyRingFromEnv(env)).encrypt(received.token, kvKey(provider));
    await env.OAUTH_KV.put(kvKey(provider), JSON.stringify({ keyId: sealed.keyId, ciphertext: sealed.ciphertext }));
    console.log(`${provider.name} webhook subscription verified`);
    return "confirmed";
  }
  console.warn(`${provider.name} webhook handshake refused by the provider`, status);
  return status >= 500 || status === 429 ? "unavailable" : "refused";
}
