// Searching a test run's log output for secrets: every token and code the fake provider issued,
// its client secrets, and the service's own keys. Used by test/global-setup.ts at teardown.
import type { State } from "./fake/store.ts";

/** Secrets by kind; a kind is what a finding reports (never the value). */
export type Secrets = Record<string, Set<string>>;

/** What the fake provider handed out during the run, plus the service's own secrets. */
export function secretsOf(state: State, bindings: Record<string, string>): Secrets {
  const secrets: Secrets = {
    "access token": new Set(),
    "refresh token": new Set(),
    "authorization code": new Set(),
    "client secret": new Set(),
    "service key": new Set(),
  };
  for (const [token, { kind }] of state.tokens) secrets[`${kind} token`]!.add(token);
  for (const code of state.codes.keys()) secrets["authorization code"]!.add(code);
  for (const grant of state.grants.values())
    secrets["client secret"]!.add(`${grant.clientId.replace(/-client$/, "")}-secret`);
  for (const name of [
    "AUTH_JWT_SECRET",
    "TOKEN_ENCRYPTION_KEY",
    "TOKEN_ENCRYPTION_PREVIOUS_KEYS",
    "WEBHOOK_SECRET",
    "WEBHOOK_PREVIOUS_SECRETS",
  ]) {
    // A key ring value is "<id>:<base64>" and a webhook secret "whsec_<base64>"; the base64 is the key.
    for (const part of (bindings[name] ?? "").split(",")) {
      const key = part.replace(/^whsec_/, "").replace(/^[^:]*:/, "");
      if (key.trim()) secrets["service key"]!.add(key.trim());
    }
  }
  return secrets;
}

/** "3 access tokens, 1 service key": what of `secrets` appears in `text`, counted by kind. */
export function findSecrets(text: string, secrets: Secrets): string[] {
  const found: string[] = [];
  for (const [kind, values] of Object.entries(secrets)) {
    let n = 0;
    for (const value of values) if (value.length >= 8 && text.includes(value)) n++;
    if (n > 0) found.push(`${n} ${kind}${n === 1 ? "" : "s"}`);
  }
  return found;
}

/** Copies everything this process writes to stdout and stderr until `stop()`. */
export function captureOutput(): { text: () => string; stop: () => void } {
  const chunks: string[] = [];
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return Reflect.apply(write, stream, [chunk, ...rest]) as boolean;
    };
    restore.push(() => (stream.write = write));
  }
  return { text: () => chunks.join(""), stop: () => restore.forEach((r) => r()) };
}
