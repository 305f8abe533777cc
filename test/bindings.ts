// Secrets and vars for the workers tests (vitest.config.ts binds them; they override .dev.vars,
// which a fresh clone does not have). test/global-setup.ts also searches the run's logs for the secrets.
export const TEST_BINDINGS = {
  AUTH_JWT_SECRET: "test-jwt-secret-0123456789abcdef",
  TOKEN_ENCRYPTION_KEY: "test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  // A retired key, so tests can write rows as an older deployment did (key rotation).
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: "test0:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
  // Long, so a race test may hold a token answer at the fake while it acts, however loaded the
  // machine; tests of the timeout itself run a lifecycle with a short one (accessWithSettings in
  // test/helpers.ts) against an answer held until the worker has given up.
  TOKEN_REFRESH_TIMEOUT_MS: "15000",
  // Kept short so failure paths run quickly.
  TOKEN_REFRESH_BACKOFF_MS: "20",
  // Per-workspace limits low enough that a test reaches them quickly.
  LIMIT_NEW_KEYS_PER_HOUR: "40",
  LIMIT_FETCHES_PER_HOUR: "5",
  // Small enough that the proxy's size cap is reached with a scripted answer.
  PROXY_MAX_RESPONSE_BYTES: "100000",
  LIMIT_CONNECT_SESSIONS_PER_HOUR: "12",
  LIMIT_PROXY_CALLS_PER_MINUTE: "20",
  LIMIT_WEBHOOK_REDELIVERIES_PER_HOUR: "3",
  APP_ORIGIN: "https://app.example.test",
  // Outside development the worker refuses to serve without an issuer and an audience to check.
  AUTH_JWT_ISSUER: "https://app.example.test",
  AUTH_JWT_AUDIENCE: "zebbra-integrations",
  // Production-like, whatever a developer's .dev.vars says: development-only parts stay off unless a
  // test builds the app for development itself (callDevelopment in test/helpers.ts).
  ENVIRONMENT: "",
  PUBLIC_URL: "https://integrations.example.test",
  // Provider webhooks (POST /integration/<provider>/webhooks): the keys their portals would show.
  XERO_WEBHOOK_KEY: "test-xero-webhook-key-0Yq1vDfTn8RkA3pLm5Wz",
  // The sandbox's "Change the books" signs its Xero-format notifications with this (docs/sandbox.md).
  SANDBOX_WEBHOOK_KEY: "test-sandbox-webhook-key-7Hq2LwZx9Rk4",
  QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN: "test-quickbooks-verifier-4f0e2b7a-9c1d",
  // The operator token of /admin/* (test/import.test.ts); 32 bytes or more, as a deploy requires.
  ADMIN_API_TOKEN: "test-admin-api-token-7c1f0d9e4b2a86355e0f",
  // The token the fake's Gusto accepts (test/fake/gusto-webhooks.ts GUSTO_ORG_API_TOKEN).
  GUSTO_ORG_API_TOKEN: "gusto-org-api-token-for-tests",
};

/**
 * Added for the "webhooks" project (test/webhooks/): webhooks on, to the fake server's receiver. Its
 * ENVIRONMENT is development, the only one where an http://127.0.0.1 receiver is allowed. A
 * previous secret is set, so every delivery is signed for a rotation.
 */
export const WEBHOOK_TEST_BINDINGS = {
  ENVIRONMENT: "development",
  WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  WEBHOOK_PREVIOUS_SECRETS: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
  // Short, so the timeout test waits half a second rather than the default ten.
  WEBHOOK_TIMEOUT_MS: "500",
  // The longest window: tests close provider-event windows themselves (closeProviderEventWindows),
  // never by waiting for the alarm.
  PROVIDER_EVENT_DEBOUNCE_MS: "60000",
};
