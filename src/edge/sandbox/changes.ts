// The sandbox's "change the books" action (docs/sandbox.md): a new unpaid sales invoice in a
// company's current month, kept in KV so every isolate serves it, then the change notification a
// provider would send, in Xero's format, signed with SANDBOX_WEBHOOK_KEY and POSTed to this worker's
// own POST /integration/sandbox/webhooks. So the incoming path (verify, queue, route by tenant,
// debounce, re-fetch, data.changed) can be watched without a Xero account.
import { encodeBase64 } from "@oslojs/encoding";
import { DAY_MS } from "../../framework/durations";
import { randomId } from "../../framework/hash";
import { readVar } from "../../framework/settings";
import { XERO_SIGNATURE_HEADER, type XeroFormatEvent } from "../../framework/xero-format-webhooks";
import { providers } from "../../providers/registry";
import { providerWebhookPath } from "../routes/provider-webhooks";
import type { MonthlyReport } from "./company";

/** Each change is one invoice of this much (in the company's currency): a step easy to spot in a table. */
export const CHANGE_AMOUNT = 1000;
/** The most changes kept per company; an older one drops out, and its invoice with it. */
export const MAX_CHANGES = 50;
/** A company untouched this long goes back to its recorded books. */
const CHANGES_TTL_SECONDS = (30 * DAY_MS) / 1000;

/** One change: an unpaid sales invoice dated in `month`. */
export interface BooksChange {
  /** The invoice's id, the event's resourceId. */
  invoiceId: string;
  /** `YYYY-MM`. */
  month: string;
  amount: number;
  /** ISO time of the change. */
  at: string;
}

const changesKey = (companyId: string) => `sandbox:changes:${companyId}`;

/** The company's changes, oldest first. */
export async function readChanges(kv: KVNamespace, companyId: string): Promise<BooksChange[]> {
  return (await kv.get<BooksChange[]>(changesKey(companyId), "json")) ?? [];
}

/**
 * Adds an invoice to the company's current month; returns it and how many changes the company now
 * has. KV has no compare-and-set: two changes at the same moment may keep one; enough for one local user.
 */
export async function addChange(
  kv: KVNamespace,
  companyId: string,
  now: number,
): Promise<{ change: BooksChange; count: number }> {
  const at = new Date(now);
  const change: BooksChange = {
    invoiceId: crypto.randomUUID(),
    month: at.toISOString().slice(0, 7),
    amount: CHANGE_AMOUNT,
    at: at.toISOString(),
  };
  const changes = [...(await readChanges(kv, companyId)), change].slice(-MAX_CHANGES);
  await kv.put(changesKey(companyId), JSON.stringify(changes), { expirationTtl: CHANGES_TTL_SECONDS });
  return { change, count: changes.length };
}

/**
 * The lines an unpaid sales invoice moves, so the reports still add up: income and profit in its
 * month; receivables, assets and equity at every month end from it on (this year's earnings in its
 * own year, retained earnings after).
 */
export const INVOICE_LINES = {
  month: ["Sales", "Total Income", "Gross Profit", "Net Profit"],
  from: ["Accounts Receivable", "Total Current Assets", "Total Assets", "Net Assets", "Total Equity"],
  sameYear: "Current Year Earnings",
  laterYears: "Retained Earnings",
} as const;

/** `report` with `changes` applied. */
export function applyChanges(report: MonthlyReport, changes: readonly BooksChange[]): MonthlyReport {
  if (changes.length === 0) return report;
  const months = report.months.map((m) => m.slice(0, 7));
  const lines = report.lines.map((line) => {
    const values = line.values.map((value, i) => {
      const month = months[i]!;
      let delta = 0;
      for (const c of changes) {
        const moves =
          ((INVOICE_LINES.month as readonly string[]).includes(line.title) && month === c.month) ||
          ((INVOICE_LINES.from as readonly string[]).includes(line.title) && month >= c.month) ||
          (line.title === INVOICE_LINES.sameYear && month >= c.month && month.slice(0, 4) === c.month.slice(0, 4)) ||
          (line.title === INVOICE_LINES.laterYears && month.slice(0, 4) > c.month.slice(0, 4));
        if (moves) delta += c.amount;
      }
      return delta === 0 ? value : Math.round((value + delta) * 100) / 100;
    });
    return { ...line, values };
  });
  return { ...report, lines };
}

/** What became of the notification. */
export type Delivery =
  | { delivered: true; url: string; status: number; accepted: boolean }
  | { delivered: false; url: string; message: string };

async function signature(key: string, body: string): Promise<string> {
  const hmac = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return encodeBase64(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(body))));
}

/**
 * Notifies this worker of `change` exactly as Xero notifies it of an invoice: one event
 * (INVOICE, UPDATE, the company as tenantId) signed over the raw body. It goes to the worker's own
 * fetch entry (`self`, the execution context's `exports.default`) at the request's origin, the same request a provider's POST would be,
 * without depending on the port being reachable from inside the worker.
 */
export async function notifyChange(
  env: Env,
  self: { fetch(request: Request): Promise<Response> },
  origin: string,
  companyId: string,
  change: BooksChange,
  sequence: number,
): Promise<Delivery> {
  const provider = providers.Sandbox;
  const url = origin + providerWebhookPath(provider);
  const key = provider.webhooks?.key;
  const variable = key && "variable" in key ? key.variable : undefined;
  const secret = variable === undefined ? undefined : readVar(env, variable);
  if (secret === undefined)
    return {
      delivered: false,
      url,
      message: `Set ${variable ?? "the sandbox's webhook key"} to send the notification`,
    };
  const event: XeroFormatEvent = {
    resourceId: change.invoiceId,
    // Xero's form: UTC without a zone designator.
    eventDateUtc: change.at.slice(0, 23),
    eventType: "UPDATE",
    eventCategory: "INVOICE",
    tenantId: companyId,
    tenantType: "ORGANISATION",
  };
  const body = JSON.stringify({
    events: [event],
    firstEventSequence: sequence,
    lastEventSequence: sequence,
    entropy: randomId(),
  });
  const res = await self.fetch(
    new Request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", [XERO_SIGNATURE_HEADER]: await signature(secret, body) },
      body,
    }),
  );
  await res.body?.cancel();
  return { delivered: true, url, status: res.status, accepted: res.ok };
}
