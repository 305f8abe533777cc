// Secrets and vars for the workers tests (vitest.config.ts binds them; they override .dev.vars,
// which a fresh clone does not have). test/global-setup.ts also searches the run's logs for the secrets.
export const TEST_BINDINGS = {
  AUTH_JWT_SECRET: "test-jwt-secret-0123456789abcdef",
  TOKEN_ENCRYPTION_KEY: "test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  // A retired key, so tests can write rows as an older deployment did (key rotation).
  TOKEN_ENCRYPTION_PREVIOUS_KEYS: "test0:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
  // Token lifecycle timings kept short so failure paths run quickly.
  TOKEN_REFRESH_TIMEOUT_MS: "300",
  TOKEN_REFRESH_BACKOFF_MS: "20",
  // Per-workspace limits low enough that a test reaches them quickly.
  LIMIT_NEW_KEYS_PER_HOUR: "40",
  LIMIT_FETCHES_PER_HOUR: "5",
  LIMIT_CONNECT_SESSIONS_PER_HOUR: "12",
  APP_ORIGIN: "https://app.example.test",
  // Production-like, whatever a developer's .dev.vars says: development-only parts stay off unless a
  // test builds the app for development itself (callDevelopment in test/helpers.ts).
  ENVIRONMENT: "",
  PUBLIC_URL: "https://integrations.example.test",
};
