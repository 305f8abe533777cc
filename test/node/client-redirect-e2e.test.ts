// The client package's redirect fallback in a real browser (Debian's Chromium through playwright-core)
// against plain `wrangler dev`: with the popup blocked (window.open answers null, as a blocker's
// does), the dev console's connect() goes to the sandbox's consent page in the page itself, comes
// back to the console with confirm_token or error, and completeRedirectConnect() finishes it on load.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, chromium, type Page } from "playwright-core";
import { type DevServer, developmentVars, freePort, startDev } from "./dev-server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let server: DevServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: see test/node/console-e2e.test.ts`);
  const port = await freePort();
  [server, browser] = await Promise.all([
    startDev({ port, args: ["--env-file", developmentVars(port)] }),
    chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The console with popups blocked. */
async function blockedConsole(): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser!.newContext();
  // A string: this file is checked with Node's types, which have no window.
  await context.addInitScript("window.open = () => null;");
  const page = await context.newPage();
  await page.goto(`${server!.url}/`);
  await expect.poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("not connected");
  return { page, close: () => context.close() };
}

describe("connect() with the popup blocked", () => {
  it("should connect through a full-page redirect and clean the console's URL", async () => {
    const { page, close } = await blockedConsole();
    await page.getByTestId("connect-SandboxPayroll").click();
    await page.getByRole("button", { name: "Approve" }).click();
    await expect
      .poll(() => page.getByTestId("message").textContent(), { timeout: 15_000 })
      .toBe("SandboxPayroll is connected: Sandbox Trading Ltd.");
    expect(page.url()).toBe(`${server!.url}/`);
    await expect.poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("connected");
    await page.getByTestId("disconnect-SandboxPayroll-sandbox-trading-ltd").click();
    await expect.poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("not connected");
    await close();
  });

  it("should show the provider's refusal that came back in the URL", async () => {
    const { page, close } = await blockedConsole();
    await page.getByTestId("connect-SandboxPayroll").click();
    await page.getByRole("button", { name: "Deny" }).click();
    await expect
      .poll(() => page.getByTestId("message").textContent(), { timeout: 15_000 })
      .toBe("Connecting SandboxPayroll failed: access_denied");
    expect(page.url()).toBe(`${server!.url}/`);
    expect(await page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("not connected");
    await close();
  });
});
