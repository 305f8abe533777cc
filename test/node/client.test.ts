// The host-app kit's connect helper (client/src/connect.ts), its parts that need no network: which
// messages it accepts, the popup closed first, the redirect's query and the API's errors. The browser
// is a small fake (a window, a popup); the whole flow against the real worker runs in Chromium
// (console-e2e.test.ts), through the dev console, which connects with this helper.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  awaitPopup,
  completeRedirectConnect,
  ConnectError,
  errorOf,
  type HostWindow,
  type MessageLike,
  type Popup,
  popupMessage,
  readRedirect,
} from "../../client/src/connect.ts";

const SERVICE = "https://integrations.example.com";
const authorized = { type: "zebbra:integration", integration: "Xero", status: "authorized", confirm_token: "ct" };

class FakePopup implements Popup {
  closed = false;
  location = { href: "about:blank" };
  close() {
    this.closed = true;
  }
}

class FakeWindow implements HostWindow {
  readonly listeners = new Set<(event: MessageLike) => void>();
  readonly replaced: string[] = [];
  location: HostWindow["location"];
  history = { replaceState: (_data: null, _unused: string, url: string) => void this.replaced.push(url) };
  constructor(href = "https://app.example.com/settings") {
    this.location = { href, origin: new URL(href).origin, assign: () => undefined };
  }
  open() {
    return null;
  }
  addEventListener(_type: "message", listener: (event: MessageLike) => void) {
    this.listeners.add(listener);
  }
  removeEventListener(_type: "message", listener: (event: MessageLike) => void) {
    this.listeners.delete(listener);
  }
  post(event: MessageLike) {
    for (const listener of [...this.listeners]) listener(event);
  }
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("popupMessage", () => {
  const popup = new FakePopup();

  it("should accept the service's message from the popup it opened", () => {
    expect(popupMessage({ origin: SERVICE, source: popup, data: authorized }, popup, SERVICE)).toEqual(authorized);
  });

  it.each([
    ["another origin", { origin: "https://evil.example", source: popup, data: authorized }],
    ["another window of the service's origin", { origin: SERVICE, source: new FakePopup(), data: authorized }],
    ["another kind of message", { origin: SERVICE, source: popup, data: { type: "other", confirm_token: "x" } }],
    ["a message that is no object", { origin: SERVICE, source: popup, data: "zebbra:integration" }],
  ])("should ignore %s", (_name, event) => {
    expect(popupMessage(event, popup, SERVICE)).toBeNull();
  });
});

describe("awaitPopup", () => {
  it("should settle on the popup's message after ignoring the rest, and stop listening", async () => {
    const win = new FakeWindow();
    const popup = new FakePopup();
    const message = awaitPopup(win, popup, SERVICE);
    win.post({ origin: "https://evil.example", source: popup, data: { ...authorized, confirm_token: "forged" } });
    win.post({ origin: SERVICE, source: popup, data: authorized });
    await expect(message).resolves.toEqual(authorized);
    expect(win.listeners.size).toBe(0);
  });

  it("should reject with popup_closed when the person closes the popup first", async () => {
    vi.useFakeTimers();
    const win = new FakeWindow();
    const popup = new FakePopup();
    const message = awaitPopup(win, popup, SERVICE);
    popup.close();
    vi.advanceTimersByTime(500);
    await expect(message).rejects.toMatchObject({ name: "ConnectError", code: "popup_closed" });
    expect(win.listeners.size).toBe(0);
  });
});

describe("readRedirect", () => {
  it("should read a confirm token and keep the page's own query and fragment", () => {
    expect(readRedirect("https://app.example.com/s?tab=2&integration=Xero&confirm_token=ct#top")).toEqual({
      integration: "Xero",
      confirmToken: "ct",
      cleanUrl: "https://app.example.com/s?tab=2#top",
    });
  });

  it("should read an error", () => {
    expect(readRedirect("https://app.example.com/s?integration=Xero&error=access_denied")).toEqual({
      integration: "Xero",
      error: "access_denied",
      cleanUrl: "https://app.example.com/s",
    });
  });

  it.each([
    "https://app.example.com/s",
    "https://app.example.com/s?integration=Xero",
    "https://app.example.com/s?confirm_token=ct",
  ])("should find no connect in %s", (href) => {
    expect(readRedirect(href)).toBeNull();
  });
});

describe("completeRedirectConnect", () => {
  const options = { baseUrl: SERVICE, getToken: () => "jwt", workspaceId: "ws-1" };

  it("should reject with the error the service sent back and clean the URL", async () => {
    const win = new FakeWindow("https://app.example.com/s?integration=Xero&error=access_denied");
    vi.stubGlobal("window", win);
    const done = completeRedirectConnect(options);
    await expect(done).rejects.toBeInstanceOf(ConnectError);
    await expect(done).rejects.toMatchObject({ code: "access_denied" });
    expect(win.replaced).toEqual(["https://app.example.com/s"]);
  });

  it("should do nothing on a page no connect came back to", async () => {
    const win = new FakeWindow("https://app.example.com/s?tab=2");
    vi.stubGlobal("window", win);
    await expect(completeRedirectConnect(options)).resolves.toBeNull();
    expect(win.replaced).toEqual([]);
  });
});

describe("errorOf", () => {
  it("should carry the API's code and message, and a 409's tenants", () => {
    const tenants = [
      { id: "t1", name: "One" },
      { id: "t2", name: "Two" },
    ];
    const e = errorOf(409, { error: { code: "tenant_choice_required", message: "Choose" }, tenants });
    expect(e).toBeInstanceOf(ConnectError);
    expect({ code: e.code, message: e.message, tenants: e.tenants }).toEqual({
      code: "tenant_choice_required",
      message: "Choose",
      tenants,
    });
  });

  it("should name the HTTP status of an answer without the error shape", () => {
    expect(errorOf(502, null)).toMatchObject({ code: "http_502", tenants: undefined });
    expect(errorOf(400, { error: { code: "confirm_token_expired" } })).toMatchObject({
      code: "confirm_token_expired",
      message: "confirm_token_expired",
    });
  });
});
