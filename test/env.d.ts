// Bindings that exist only under test.
import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TOKEN_ENCRYPTION_PREVIOUS_KEYS: string;
      TOKEN_REFRESH_TIMEOUT_MS: string;
      TOKEN_REFRESH_BACKOFF_MS: string;
    }
  }
}
