// The browser side of connecting a provider (docs/connecting.md): a connect session opened in a
// popup whose page posts the outcome back, then the confirm, with the person's choice of companies;
// a full-page redirect when the popup is blocked. Plain fetch and no DOM library types, so it stays
// small (bench/client-size.ts) and its declarations need nothing but the language's own.

/** A company a grant covers, as the popup's message and a 409 `tenant_choice_required` list it. */
export interface Tenant {
  id: string;
  name: string | null;
  type?: string;
}

/** One connection a confirm made (`POST /integration/connections/confirm`). */
export interface Connection {
  integration: string;
  tenant_id: string | null;
  tenant_name: string | null;
  connected_by: string;
  connected_at: string;
  replaced: boolean;
}

/** Where and as whom to confirm. */
export interface ConfirmOptions {
  /** The service's PUBLIC_URL, e.g. `https://integrations.example.com`. */
  baseUrl: string;
  /** The signed-in user's JWT, asked for before each call (so it may be refreshed in between). */
  getToken: () => string | Promise<string>;
  workspaceId: string;
  /**
   * Asked when a grant covers several companies: resolves to the ids to connect. Resolving to none
   * cancels (`tenant_choice_cancelled`); without it such a grant fails with `tenant_choice_required`.
   */
  chooseTenants?: (tenants: Tenant[]) => Promise<string[]>;
}

export interface ConnectOptions extends ConfirmOptions {
  /** The provider, as `GET /integration/providers` names it (e.g. `Xero`). */
  integration: string;
  /** The provider's connection config, when it has one (its `connection_config`). */
  config?: Record<string, string>;
}

/** Every failure of connect(): `code` is stable (the API's error code, the popup's, or one of this module's). */
export class ConnectError extends Error {
  override readonly name = "ConnectError";
  readonly code: string;
  /** With `tenant_choice_required`: the companies to choose from. */
  readonly tenants: Tenant[] | undefined;
  constructor(code: string, message: string, tenants?: Tenant[]) {
    super(message);
    this.code = code;
    this.tenants = tenants;
  }
}

/** The popup as connect() uses it (a DOM `Window`). */
export interface Popup {
  readonly closed: boolean;
  close(): void;
  location: { href: string };
}

/** A `message` event as connect() reads it (a DOM `MessageEvent`). */
export interface MessageLike {
  origin: string;
  source: unknown;
  data: unknown;
}

/** The page's window as connect() uses it (a DOM `Window`). */
export interface HostWindow {
  open(url: string, target: string, features: string): Popup | null;
  addEventListener(type: "message", listener: (event: MessageLike) => void): void;
  removeEventListener(type: "message", listener: (event: MessageLike) => void): void;
  location: { href: string; origin: string; assign(url: string): void };
  history: { replaceState(data: null, unused: string, url: string): void };
}

/** The callback page's message (src/edge/pages.ts popupPage). */
export interface PopupMessage {
  type: "zebbra:integration";
  integration: string;
  status: "authorized" | "error";
  confirm_token?: string;
  tenants?: Tenant[];
  code?: string;
  message?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const browser = () => (globalThis as unknown as { window: HostWindow }).window;

/**
 * The popup's message when `event` is one: posted by the popup this connect opened, from the
 * service's origin. Anything else (another window, another origin, another kind of message) is null.
 */
export function popupMessage(event: MessageLike, popup: Popup, serviceOrigin: string): PopupMessage | null {
  if (event.origin !== serviceOrigin || event.source !== popup) return null;
  const m = event.data;
  return isRecord(m) && m.type === "zebbra:integration" ? (m as unknown as PopupMessage) : null;
}

/** The popup's message; `popup_closed` when the person closes it first (polled: a closed popup sends no event). */
export function awaitPopup(win: HostWindow, popup: Popup, serviceOrigin: string): Promise<PopupMessage> {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => popup.closed && done(null), 500);
    function onMessage(event: MessageLike) {
      const m = popupMessage(event, popup, serviceOrigin);
      if (m) done(m);
    }
    function done(m: PopupMessage | null) {
      clearInterval(poll);
      win.removeEventListener("message", onMessage);
      if (m) resolve(m);
      else reject(new ConnectError("popup_closed", "The popup was closed before connecting finished"));
    }
    win.addEventListener("message", onMessage);
  });
}

/** A refused call as a ConnectError: the API's `{ error: { code, message } }`, and a 409's `tenants`. */
export function errorOf(status: number, body: unknown): ConnectError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (!error || typeof error.code !== "string")
    return new ConnectError(`http_${status}`, `The integrations service answered HTTP ${status}`);
  const tenants = isRecord(body) && Array.isArray(body.tenants) ? (body.tenants as Tenant[]) : undefined;
  return new ConnectError(error.code, typeof error.message === "string" ? error.message : error.code, tenants);
}

async function post<T>(options: ConfirmOptions, path: string, body: Record<string, unknown>): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, options.baseUrl), {
      method: "POST",
      headers: { Authorization: `Bearer ${await options.getToken()}`, "Content-Type": "application/json" },
      body: JSON.stringify({ workspace_id: options.workspaceId, ...body }),
    });
  } catch (e) {
    throw new ConnectError("network_error", e instanceof Error ? e.message : String(e));
  }
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) throw errorOf(res.status, json);
  return json as T;
}

async function choose(options: ConfirmOptions, tenants: Tenant[]): Promise<string[]> {
  const ids = await options.chooseTenants!(tenants);
  if (ids.length === 0)
    throw new ConnectError("tenant_choice_cancelled", "No company was chosen: nothing was connected");
  return ids;
}

/**
 * Confirms a consent as the same user. A grant the message lists several companies for is chosen
 * first; one whose confirm answers 409 `tenant_choice_required` is chosen then (the token stays usable).
 */
async function confirm(options: ConfirmOptions, integration: string, token: string, tenants?: Tenant[]) {
  const once = async (tenant_ids?: string[]) =>
    (
      await post<{ connections: Connection[] }>(options, "/integration/connections/confirm", {
        integration,
        confirm_token: token,
        tenant_ids,
      })
    ).connections;
  const asked = options.chooseTenants && tenants && tenants.length > 1 ? await choose(options, tenants) : undefined;
  try {
    return await once(asked);
  } catch (e) {
    if (asked || !options.chooseTenants || !(e instanceof ConnectError) || e.code !== "tenant_choice_required") throw e;
    return once(await choose(options, e.tenants ?? []));
  }
}

/**
 * Connects `integration` for the workspace: call it from the click handler itself (the popup is
 * opened before anything is awaited, or the browser blocks it). Resolves to the new connections;
 * rejects with a ConnectError. When the browser blocks the popup anyway, the page goes to the
 * provider and comes back (`return_to` = this page): the promise then never settles, and
 * completeRedirectConnect() finishes the connect on the page's next load.
 */
export async function connect(options: ConnectOptions): Promise<Connection[]> {
  const win = browser();
  const popup = win.open("about:blank", "zebbra-connect", "popup,width=560,height=720");
  const session = (extra: Record<string, string>) =>
    post<{ url: string }>(options, "/integration/connect-sessions", {
      integration: options.integration,
      config: options.config,
      ...extra,
    });
  if (!popup) {
    win.location.assign((await session({ return_to: win.location.href })).url);
    return new Promise<never>(() => undefined);
  }
  let message: PopupMessage;
  try {
    // The popup posts to the origin its session names: this page's, refused up front when it is not one of APP_ORIGIN's.
    popup.location.href = (await session({ app_origin: win.location.origin })).url;
    message = await awaitPopup(win, popup, new URL(options.baseUrl).origin);
  } finally {
    popup.close();
  }
  if (message.status !== "authorized" || !message.confirm_token)
    throw new ConnectError(message.code ?? "connect_failed", message.message ?? "Connecting failed");
  return confirm(options, options.integration, message.confirm_token, message.tenants);
}

/** What a full-page connect brought back in the page's query, and the page's URL without it. */
export type RedirectResult =
  | { integration: string; confirmToken: string; cleanUrl: string }
  | { integration: string; error: string; cleanUrl: string };

/** Reads `integration` with `confirm_token` or `error` from a URL the service sent the browser back to. */
export function readRedirect(href: string): RedirectResult | null {
  const url = new URL(href);
  const q = url.searchParams;
  const integration = q.get("integration");
  const confirmToken = q.get("confirm_token");
  const error = q.get("error");
  if (!integration || (!confirmToken && !error)) return null;
  for (const key of ["integration", "confirm_token", "error"]) q.delete(key);
  const cleanUrl = url.toString();
  return confirmToken ? { integration, confirmToken, cleanUrl } : { integration, error: error!, cleanUrl };
}

/**
 * Call on page load: finishes a connect that came back from a full-page redirect (the confirm, with
 * the choice of companies) and takes its parameters out of the URL. Null when the page was not one.
 */
export async function completeRedirectConnect(options: ConfirmOptions): Promise<Connection[] | null> {
  const win = browser();
  const back = readRedirect(win.location.href);
  if (!back) return null;
  // The token is single-use and bound to this user, but a reload or a shared link should not carry it.
  win.history.replaceState(null, "", back.cleanUrl);
  if ("error" in back) throw new ConnectError(back.error, `Connecting ${back.integration} failed: ${back.error}`);
  return confirm(options, back.integration, back.confirmToken);
}
