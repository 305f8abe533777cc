// `npm run webhooks:gusto:subscribe`: creates this deployment's Gusto webhook subscription (an
// operator's one-time step; docs/webhooks.md, "Incoming"). Gusto then POSTs a verification_token to
// <PUBLIC_URL>/integration/gusto/webhooks, and the worker confirms it through Gusto's verify call
// and keeps it as the key that signs every event. Everything comes from the environment, the
// organization's API token above all, never from the command line:
//   GUSTO_ORG_API_TOKEN            the organization-level API token (Gusto's developer portal)
//   PUBLIC_URL                     the worker's public https base URL
//   GUSTO_API_BASE_URL             default https://api.gusto.com (demo: https://api.gusto-demo.com)
//   GUSTO_WEBHOOK_SUBSCRIPTION_TYPES  comma separated, default Employee,EmployeeJobCompensation
// https://docs.gusto.com/embedded-payroll/docs/webhooks (POST /v1/webhook_subscriptions, Token scheme)

const env = (name: string): string | undefined => process.env[name]?.trim() || undefined;

const token = env("GUSTO_ORG_API_TOKEN");
const publicUrl = env("PUBLIC_URL");
if (!token || !publicUrl) {
  console.error("Set GUSTO_ORG_API_TOKEN and PUBLIC_URL in the environment (never on the command line).");
  process.exit(1);
}
const base = (env("GUSTO_API_BASE_URL") ?? "https://api.gusto.com").replace(/\/+$/, "");
const types = (env("GUSTO_WEBHOOK_SUBSCRIPTION_TYPES") ?? "Employee,EmployeeJobCompensation")
  .split(",")
  .map((t) => t.trim())
  .filter(Boolean);
const url = `${publicUrl.replace(/\/+$/, "")}/integration/gusto/webhooks`;

const res = await fetch(`${base}/v1/webhook_subscriptions`, {
  method: "POST",
  headers: { Authorization: `Token ${token}`, "Content-Type": "application/json", Accept: "application/json" },
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
