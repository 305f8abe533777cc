// `npm run webhooks:gusto:subscribe`: creates this deployment's Gusto webhook subscription (an
// operator's one-time step; docs/webhooks.md, "Incoming"). Gusto then POSTs a verification_token to
// <PUBLIC_URL>/integration/gusto/webhooks, and the worker confirms it through Gusto's verify call
// and keeps it as the key that signs every event. Everything comes from the environment, secrets
// above all, never from the command line:
//   GUSTO_CLIENT_ID, GUSTO_CLIENT_SECRET  the app's credentials: they mint a system access token
//                                  (API versions from 2024-04-01; https://docs.gusto.com/app-integrations/docs/api-tokens)
//   GUSTO_ORG_API_TOKEN            or, for older API versions, the organization-level API token
//   PUBLIC_URL                     the worker's public https base URL
//   GUSTO_API_BASE_URL             default https://api.gusto.com (demo: https://api.gusto-demo.com)
//   GUSTO_WEBHOOK_SUBSCRIPTION_TYPES  comma separated, default Employee,EmployeeJobCompensation
// https://docs.gusto.com/embedded-payroll/docs/webhooks (POST /v1/webhook_subscriptions, Token scheme)

const env = (name: string): string | undefined => process.env[name]?.trim() || undefined;

const orgToken = env("GUSTO_ORG_API_TOKEN");
const clientId = env("GUSTO_CLIENT_ID");
const clientSecret = env("GUSTO_CLIENT_SECRET");
const publicUrl = env("PUBLIC_URL");
if (!(orgToken || (clientId && clientSecret)) || !publicUrl) {
  console.error(
    "Set PUBLIC_URL and GUSTO_CLIENT_ID with GUSTO_CLIENT_SECRET (or GUSTO_ORG_API_TOKEN) in the environment, never on the command line.",
  );
  process.exit(1);
}
const base = (env("GUSTO_API_BASE_URL") ?? "https://api.gusto.com").replace(/\/+$/, "");

/** `Token <org token>`, or `Bearer <system access token>` minted with the app's credentials. */
async function authorization(): Promise<string> {
  if (orgToken) return `Token ${orgToken}`;
  const tokenUrl = env("GUSTO_TOKEN_URL") ?? `${base.replace(/\/api$/, "")}/oauth/token`;
  const res = await fetch(tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ client_id: clientId, client_secret: clientSecret, grant_type: "system_access" }),
  });
  const body = (await res.json().catch(() => null)) as { access_token?: unknown } | null;
  if (!res.ok || typeof body?.access_token !== "string") {
    console.error(`Gusto's token endpoint answered ${res.status}: no system access token`);
    process.exit(1);
  }
  return `Bearer ${body.access_token}`;
}
const types = (env("GUSTO_WEBHOOK_SUBSCRIPTION_TYPES") ?? "Employee,EmployeeJobCompensation")
  .split(",")
  .map((t) => t.trim())
  .filter(Boolean);
const url = `${publicUrl.replace(/\/+$/, "")}/integration/gusto/webhooks`;

const res = await fetch(`${base}/v1/webhook_subscriptions`, {
  method: "POST",
  headers: { Authorization: await authorization(), "Content-Type": "application/json", Accept: "application/json" },
  body: JSON.stringify({ url, subscription_types: types }),
});
const text = await res.text();
if (!res.ok) {
  // Gusto's error body names the problem (a URL it cannot reach, a second application); never the token.
  console.error(`Gusto answered ${res.status}: ${text.slice(0, 500)}`);
  process.exit(1);
}
const created = JSON.parse(text) as { uuid?: string; status?: string };
console.log(
  `Subscription ${created.uuid ?? "?"} created (${created.status ?? "pending"}) for ${url}: ${types.join(", ")}.`,
);
console.log("Gusto now POSTs its verification token there; the worker verifies it and logs");
console.log('"Gusto webhook subscription verified". If that never shows, set GUSTO_WEBHOOK_SUBSCRIPTION_UUID');
console.log(`=${created.uuid ?? "<uuid>"} on the worker and ask Gusto to send the token again`);
console.log("(PUT /v1/webhook_subscriptions/{uuid}/request_verification_token).");
