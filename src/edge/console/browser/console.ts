// The dev console's browser script (docs/console.md). It plays the host app: it calls the API with
// the demo user's JWT, connects with the host-app kit's connect() (client/; docs/connecting.md),
// letting the person choose when a grant covers several companies, shows one row per connection, and fires
// wrangler dev's local cron trigger. scripts/console-script.ts compiles it to one ES2017 script.
import {
  completeRedirectConnect,
  connect as connect$,
  type Connection as ConnectedCompany,
  ConnectError,
} from "../../../../client/src/connect";
import { api, messageOf } from "./api";
import { $, byId, el, pill, say, type Attrs } from "./dom";
import { drawChart, loadData, renderDataProviders } from "./data";
import {
  type BooksChange,
  cid,
  config,
  type Connection,
  connectionName,
  connQuery,
  dataConnections,
  type Provider,
  q,
  sameConn,
  state,
  type Status,
  type Tenant,
  when,
  WS,
} from "./state";

const CRON = "0 * * * *";
/** The sandbox's accounting provider, whose connections can have their books changed. */
const SANDBOX = "Sandbox";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs an action started by a click: its failure is shown, never dropped. */
function act(work: Promise<unknown>): void {
  work.catch((e: unknown) => say(messageOf(e), true));
}

// ---- providers ----
function statusPill(p: Provider): HTMLElement {
  const id = "provider-status-" + p.name;
  const conns = p.connections || [];
  if (!p.configured && conns.length === 0) return pill("not configured", "", id);
  if (conns.length === 0) return pill("not connected", "", id);
  if (conns.every((k) => k.requires_reconnect)) return pill("reconnect required", "warn", id);
  return pill("connected", "ok", id);
}

/** The provider's status, and its Connect button when configured (connecting again reconnects a company or adds one). */
function statusCell(p: Provider): HTMLElement[] {
  const cell = [statusPill(p)];
  if (!p.configured) return cell;
  const attrs: Attrs = {
    type: "button",
    class: "connect" + (p.connected ? "" : " primary"),
    "data-testid": "connect-" + p.name,
    "aria-label": "Connect " + p.display_name + (p.connected ? " again" : ""),
    text: p.connected ? "Connect again" : "Connect",
    onclick: () => connect(p.name),
  };
  if (p.connected) attrs.title = "Consent again: reconnect a company or add another";
  cell.push(el("button", attrs));
  return cell;
}

function actionsOf(p: Provider, k: Connection | null): HTMLElement[] {
  const actions: HTMLElement[] = [];
  if (!k) return actions;
  const id = cid(p.name, k.tenant_id);
  if (p.api_type)
    actions.push(
      el("button", {
        type: "button",
        "data-testid": "fetch-" + id,
        "aria-label": "Fetch " + connectionName(p, k) + " now",
        text: "Fetch now",
        onclick: () => act(fetchNow(p.name, k.tenant_id)),
      }),
    );
  // The sandbox plays a provider whose books change: it sends the change notification Xero would.
  if (p.name === SANDBOX && k.tenant_id)
    actions.push(
      el("button", {
        type: "button",
        "data-testid": "change-" + id,
        "aria-label": "Change the books of " + connectionName(p, k),
        title: "Add an invoice at the sandbox, which then notifies this service as Xero would",
        text: "Change the books",
        onclick: () => act(changeBooks(p, k)),
      }),
    );
  actions.push(
    el("button", {
      type: "button",
      class: "danger",
      "data-testid": "disconnect-" + id,
      "aria-label": "Disconnect " + connectionName(p, k),
      text: "Disconnect",
      onclick: () => act(disconnect(p.name, k.tenant_id)),
    }),
  );
  return actions;
}

/** One row per connection (one row for a provider without any), the provider's cells spanning them. */
function renderProviders(): void {
  const table = byId("providers", HTMLTableElement);
  for (const b of Array.from(table.tBodies)) table.removeChild(b);
  for (const p of state.providers) {
    const conns = p.connections || [];
    const rows: (Connection | null)[] = conns.length ? conns : [null];
    const group = el("tbody", { "data-testid": "provider-" + p.name });
    rows.forEach((k, i) => {
      const cells: HTMLElement[] = [];
      if (i === 0) {
        const span = String(rows.length);
        const slug = el("span", { class: "muted slug", text: p.name === p.display_name ? "" : p.name });
        cells.push(el("th", { scope: "rowgroup", rowspan: span }, [p.display_name, slug]));
        cells.push(el("td", { rowspan: span, text: p.api_type || "—" }));
        cells.push(el("td", { rowspan: span }, statusCell(p)));
      }
      const company: (string | HTMLElement)[] = [k && k.tenant_id ? k.tenant_name || k.tenant_id : "—"];
      if (k && k.requires_reconnect) company.push(" ", pill("reconnect required", "warn"));
      cells.push(el("td", { "data-testid": "company-" + (k ? cid(p.name, k.tenant_id) : p.name) }, company));
      cells.push(el("td", { text: k && k.connected_by ? k.connected_by : "—" }));
      cells.push(el("td", { text: when(k && k.connected_at) }));
      // Its buttons wrap rather than push the last (Disconnect) out of sight.
      cells.push(el("td", { class: "actions" }, actionsOf(p, k)));
      group.appendChild(el("tr", k ? { "data-testid": "connection-" + cid(p.name, k.tenant_id) } : {}, cells));
    });
    table.appendChild(group);
  }
}

// ---- token state ----
function expiresText(iso: string | null): string {
  if (!iso) return "—";
  const s = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (s <= 0) return "expired " + -s + " s ago";
  return Math.floor(s / 60) + " min " + (s % 60) + " s";
}

/** The provider's change notifications waiting for the connection's re-fetch. */
function eventsCell(s: Status, id: string): (string | HTMLElement)[] {
  const waiting = s.provider_events;
  if (!waiting) return [el("span", { class: "muted", "data-testid": "provider-events-" + id, text: "none waiting" })];
  return [
    pill(waiting.events + " waiting", "warn", "provider-events-" + id),
    " " + waiting.kinds.join(", ") + "; re-fetch at " + when(waiting.refetch_at),
  ];
}

function renderStatus(): void {
  const body = byId("token-status", HTMLTableElement).tBodies[0];
  if (!body) return;
  body.textContent = "";
  if (state.status.length === 0) {
    body.appendChild(el("tr", {}, [el("td", { colspan: "7", class: "muted", text: "No connections yet." })]));
    return;
  }
  for (const s of state.status) {
    const t = s.token;
    const f = s.last_fetch;
    const id = cid(s.integration, s.tenant_id);
    const fetchCell = f
      ? [
          pill(f.outcome, f.outcome === "success" ? "ok" : "bad", "last-fetch-" + id),
          " " + f.trigger + ", " + when(f.finished_at || f.started_at) + (f.error ? " — " + f.error : ""),
        ]
      : [el("span", { class: "muted", "data-testid": "last-fetch-" + id, text: "never" })];
    body.appendChild(
      el("tr", { "data-testid": "token-" + id }, [
        el("th", { scope: "row", text: s.integration + (s.tenant_id ? " · " + (s.tenant_name || s.tenant_id) : "") }),
        el("td", {
          class: "expires",
          "data-expires": t.expires_at || "",
          "data-testid": "expires-" + id,
          text: expiresText(t.expires_at),
        }),
        el("td", { text: when(t.last_refresh_at) + (t.last_refresh_error ? " — " + t.last_refresh_error : "") }),
        el("td", { text: String(t.refresh_failures) }),
        el("td", {}, [s.requires_reconnect ? pill("yes", "warn") : pill("no")]),
        el("td", {}, fetchCell),
        el("td", {}, eventsCell(s, id)),
      ]),
    );
  }
}

setInterval(() => {
  for (const cell of Array.from(document.querySelectorAll("[data-expires]")))
    cell.textContent = expiresText(cell.getAttribute("data-expires"));
}, 1000);

// ---- refresh ----
async function refresh(): Promise<void> {
  try {
    const [providers, status] = await Promise.all([
      api<Provider[]>("GET", "/integration/providers?" + q({ workspace_id: WS })),
      api<Status[]>("GET", "/integration/status?" + q({ workspace_id: WS })),
    ]);
    state.providers = providers;
    state.status = status;
    renderProviders();
    renderStatus();
    renderDataProviders();
    await loadData();
  } catch (e) {
    say(messageOf(e), true);
  }
}

// ---- actions ----
const connectTo = { baseUrl: location.origin, getToken: () => config.jwt, workspaceId: WS };

/** docs/connecting.md, through the host-app kit's connect() (client/): popup, its message, confirm, choice. */
function connect(name: string): void {
  say("");
  hideChoice();
  const chooseTenants = (tenants: Tenant[]) => showChoice(name, tenants);
  act(connect$({ ...connectTo, integration: name, chooseTenants }).then((done) => connected(name, done), failed(name)));
}

async function connected(name: string, connections: ConnectedCompany[]): Promise<void> {
  hideChoice();
  const names = connections.map((k) => k.tenant_name || k.tenant_id).filter(Boolean);
  say(name + " is connected" + (names.length ? ": " + names.join(", ") : "") + ".");
  await refresh();
}

function failed(name: string) {
  return (e: unknown) => {
    hideChoice();
    if (!(e instanceof ConnectError)) throw e;
    if (e.code === "tenant_choice_cancelled") say("Connecting " + name + " was cancelled: nothing was connected.");
    else say("Connecting " + name + " failed: " + e.message + " (" + e.code + ")", true);
  };
}

function chosenTenants(): string[] {
  return Array.from(document.querySelectorAll<HTMLInputElement>("#tenant-choice-list input"))
    .filter((box) => box.checked)
    .map((box) => box.value);
}

/** connect()'s chooseTenants: the grant's companies as checkboxes, none ticked (connecting needs at least one). */
function showChoice(name: string, tenants: Tenant[]): Promise<string[]> {
  $("tenant-choice-title").textContent =
    name + " gave access to " + tenants.length + " companies. Tick the ones to connect:";
  const list = $("tenant-choice-list");
  list.textContent = "";
  for (const t of tenants) {
    const box = el("input", { type: "checkbox", value: t.id, "data-testid": "tenant-" + t.id });
    box.addEventListener("change", () => {
      byId("tenant-choice-confirm", HTMLButtonElement).disabled = chosenTenants().length === 0;
    });
    const label: (string | HTMLElement)[] = [box, " " + (t.name || t.id)];
    if (t.type) label.push(el("span", { class: "muted", text: " (" + t.type + ")" }));
    list.appendChild(el("label", {}, label));
  }
  byId("tenant-choice-confirm", HTMLButtonElement).disabled = true;
  $("tenant-choice").hidden = false;
  return new Promise((resolve) => (state.choice = resolve));
}

function hideChoice(): void {
  state.choice = null;
  $("tenant-choice").hidden = true;
  $("tenant-choice-list").textContent = "";
}

$("tenant-choice-confirm").addEventListener("click", () => {
  const ids = chosenTenants();
  if (!state.choice || ids.length === 0) return;
  byId("tenant-choice-confirm", HTMLButtonElement).disabled = true;
  state.choice(ids);
});
// Choosing none cancels: connect() rejects with tenant_choice_cancelled.
$("tenant-choice-cancel").addEventListener("click", () => state.choice?.([]));

async function disconnect(name: string, tenantId: string | null): Promise<void> {
  const r = await api<{ message: string }>("POST", "/integration/disconnect?" + connQuery(name, tenantId));
  say(r.message);
  await refresh();
}

async function fetchNow(name: string, tenantId: string | null): Promise<void> {
  const started = Date.now();
  const r = await api<{ message: string }>("POST", "/integration/fetch?" + connQuery(name, tenantId));
  say(r.message);
  await waitForFetches([{ integration: name, tenant_id: tenantId }], started);
  await refresh();
}

/**
 * The sandbox adds an invoice to the company's current month and notifies this service as Xero
 * would; the console then shows the notification waiting, the re-fetch it causes and the new figures.
 */
async function changeBooks(p: Provider, k: Connection): Promise<void> {
  const tenantId = k.tenant_id || "";
  const started = Date.now();
  const r = await api<BooksChange>("POST", "/sandbox/api/v1/companies/" + encodeURIComponent(tenantId) + "/change", {});
  const invoice = r.change.amount.toLocaleString() + " invoice in " + r.change.month;
  const name = connectionName(p, k);
  if (!r.webhook.delivered || !r.webhook.accepted) {
    const why = r.webhook.delivered ? "it answered HTTP " + r.webhook.status : r.webhook.message;
    say(name + ": a " + invoice + " was added, but its notification was not accepted: " + why + ".", true);
    return;
  }
  say(name + ": a " + invoice + " was added; the sandbox notified this service, which will re-fetch the books…");
  // Show this connection's data, where the new figures will appear.
  byId("data-provider", HTMLSelectElement).value = cid(p.name, k.tenant_id);
  // The debounce window (PROVIDER_EVENT_DEBOUNCE_MS, at most a minute), then the fetch itself.
  const fetched = await waitForFetches(
    [{ integration: p.name, tenant_id: k.tenant_id }],
    started,
    90000,
    "provider_event",
  );
  await refresh();
  say(
    fetched
      ? name + ": re-fetched after the provider's notification; the " + invoice + " is in the figures below."
      : name + ": no re-fetch finished within 90 s of the notification.",
    !fetched,
  );
}

interface Target {
  integration: string;
  tenant_id: string | null;
}

/**
 * Polls the status until each connection named has a fetch (of `trigger`, when given) that began
 * after `since` (runs are logged when they end).
 */
async function waitForFetches(targets: Target[], since: number, timeoutMs = 30000, trigger?: string): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  // A little slack: the worker's clock and this page's may differ by a moment.
  const done = (s: Status) =>
    !!s.last_fetch &&
    Date.parse(s.last_fetch.started_at) >= since - 2000 &&
    (trigger === undefined || s.last_fetch.trigger === trigger);
  for (;;) {
    const status = await api<Status[]>("GET", "/integration/status?" + q({ workspace_id: WS }));
    state.status = status;
    renderStatus();
    const finished = targets.every((t) => {
      const s = status.find((s) => sameConn(s, t.integration, t.tenant_id));
      return s !== undefined && done(s);
    });
    if (finished) return true;
    if (Date.now() > deadline) return false;
    await sleep(500);
  }
}

async function runCron(): Promise<void> {
  const button = byId("run-cron", HTMLButtonElement);
  const line = $("cron-status");
  const targets = dataConnections()
    .filter((c) => !c.k.requires_reconnect)
    .map((c) => ({ integration: c.p.name, tenant_id: c.k.tenant_id }));
  const started = Date.now();
  button.disabled = true;
  line.textContent = "Running the cron…";
  try {
    // wrangler dev's local trigger for the scheduled handler (the cron in wrangler.toml).
    const res = await fetch("/cdn-cgi/handler/scheduled?cron=" + encodeURIComponent(CRON));
    if (!res.ok) throw new Error("The scheduled trigger answered HTTP " + res.status + " (is this wrangler dev?)");
    line.textContent = targets.length ? "Cron ran; waiting for the fetches…" : "Cron ran; nothing is connected.";
    const finished = targets.length ? await waitForFetches(targets, started) : true;
    line.textContent = finished
      ? "Cron done at " + new Date().toLocaleTimeString() + "."
      : "Cron ran; no new fetch finished within 30 s.";
    await refresh();
  } catch (e) {
    line.textContent = "";
    say(messageOf(e), true);
  } finally {
    button.disabled = false;
  }
}

$("run-cron").addEventListener("click", () => act(runCron()));
$("data-provider").addEventListener("change", () => act(loadData()));
$("chart-title").addEventListener("change", () => drawChart(byId("chart-title", HTMLSelectElement).value));

if (!config.appOrigins.includes(location.origin)) {
  const warning = $("origin-warning");
  const right = config.appOrigins[0] + "/";
  warning.appendChild(
    document.createTextNode(
      "This page is open at " +
        location.origin +
        ", but the server's APP_ORIGIN is " +
        config.appOrigins.join(",") +
        ": the connect popup posts its result to those origins only, so connecting from here cannot finish. Open ",
    ),
  );
  warning.appendChild(el("a", { href: right, "data-testid": "origin-link", text: right }));
  warning.appendChild(document.createTextNode(" instead, or add this origin to APP_ORIGIN."));
  warning.hidden = false;
}
act(refresh());
// A connect that came back from a full-page redirect (connect()'s fallback when the popup is blocked).
act(
  completeRedirectConnect({ ...connectTo, chooseTenants: (tenants) => showChoice("The provider", tenants) }).then(
    (done) => done && connected(done[0]?.integration ?? "", done),
  ),
);
