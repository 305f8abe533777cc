// The client package's redirect fallback in a real browser (Debian's Chromium through playwright-core)
// against plain `wrangler dev`: with the popup blocked (window.open answers null, as a blocker's
// does), the dev console's connect() goes to the sandbox's consent page in the page itself, comes
// back to the console with confirm_token or error, and completeRedirectConnect() finishes it on load.
import { describe, expect, it } from "vitest";
import { useDevAndBrowser } from "./dev-browser.ts";

const dev = useDevAndBrowser();

describe("connect() with the popup blocked", () => {
  // In this order: the refusal leaves SandboxPayroll unconnected for the consent after it.
  it.each([
    ["Deny", "Connecting SandboxPayroll failed: access_denied", "not connected"],
    ["Approve", "SandboxPayroll is connected: Sandbox Trading Ltd.", "connected"],
  ])("should come back to the console after %s, finish there and clean its URL", async (button, message, status) => {
    const context = await dev.browser.newContext();
    // A string: this file is checked with Node's types, which have no window.
    await context.addInitScript("window.open = () => null;");
    const page = await context.newPage();
    await page.goto(`${dev.server.url}/`);
    await expect.poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("not connected");
    await page.getByTestId("connect-SandboxPayroll").click();
    await page.getByRole("button", { name: button }).click();
    await expect.poll(() => page.getByTestId("message").textContent(), { timeout: 15_000 }).toBe(message);
    expect(page.url()).toBe(`${dev.server.url}/`);
    await expect.poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe(status);
    await context.close();
  });
});
