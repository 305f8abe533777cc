// The dev console in a real browser (Debian's Chromium through playwright-core) against plain
// `wrangler dev`: connect both of Sandbox's demo companies through the popup and the console's
// choice, run the cron, see each company's data and chart, change Trading's books at the sandbox and
// see its webhook cause a re-fetch with the new figures, disconnect one then the other; connect one
// company without being asked to choose. The screenshot goes to test/node/.artifacts/ (and, with UPDATE_SCREENSHOT=1, to
// docs/console.png, which the README shows).
import { copyFileSync, mkdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Page } from "playwright-core";
import { useDevAndBrowser } from "./dev-browser.ts";

const ARTIFACTS = new URL("./.artifacts/", import.meta.url).pathname;
const SCREENSHOT = `${ARTIFACTS}console.png`;
const DOCS_SCREENSHOT = new URL("../../docs/console.png", import.meta.url).pathname;
const TRADING = "sandbox-trading-ltd";
const HOLDINGS = "sandbox-holdings-ltd";

const dev = useDevAndBrowser();

/** Fails the test on any script error or CSP violation the page reports. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  return errors;
}

describe("the dev console in Chromium", () => {
  it("should connect both Sandbox companies, run the cron, show each one's books, change Trading's and disconnect them", async () => {
    const context = await dev.browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${dev.server.url}/`);
    await expect.poll(() => page.getByTestId("provider-status-Sandbox").textContent()).toBe("not connected");
    expect(await page.getByTestId("origin-warning").isHidden()).toBe(true);

    const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByTestId("connect-Sandbox").click()]);
    // The consent page ticks the first company; the person ticks the second too.
    expect(await popup.getByRole("checkbox", { name: "Sandbox Trading Ltd" }).isChecked()).toBe(true);
    await popup.getByRole("checkbox", { name: "Sandbox Holdings Ltd" }).check();
    await popup.getByRole("button", { name: "Approve" }).click();

    // The grant covers two companies: the console asks which to connect, and needs at least one.
    const choice = page.getByTestId("tenant-choice");
    await expect.poll(() => choice.isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => popup.isClosed()).toBe(true);
    expect(await choice.textContent()).toContain("Sandbox Holdings Ltd");
    expect(await page.getByTestId("tenant-choice-confirm").isDisabled()).toBe(true);
    await page.getByTestId(`tenant-${TRADING}`).check();
    await page.getByTestId(`tenant-${HOLDINGS}`).check();
    await page.getByTestId("tenant-choice-confirm").click();
    await expect.poll(() => page.getByTestId("provider-status-Sandbox").textContent()).toBe("connected");
    expect(await choice.isHidden()).toBe(true);
    expect(await page.getByTestId("message").textContent()).toBe(
      "Sandbox is connected: Sandbox Trading Ltd, Sandbox Holdings Ltd.",
    );

    // One row per connection, each with its own buttons and token.
    for (const tenant of [TRADING, HOLDINGS]) {
      expect(await page.getByTestId(`connection-Sandbox-${tenant}`).textContent()).toContain("demo-user");
      expect(await page.getByTestId(`expires-Sandbox-${tenant}`).textContent()).toMatch(/^\d+ min \d+ s$/);
    }
    expect(await page.getByTestId(`company-Sandbox-${HOLDINGS}`).textContent()).toBe("Sandbox Holdings Ltd");

    await page.getByTestId("run-cron").click();
    await expect.poll(() => page.getByTestId("cron-status").textContent(), { timeout: 40_000 }).toMatch(/^Cron done/);
    for (const tenant of [TRADING, HOLDINGS])
      expect(await page.getByTestId(`last-fetch-Sandbox-${tenant}`).textContent()).toBe("success");

    // Each company's books: the data of the one chosen in the Connection list, the first at first.
    expect(await page.getByTestId("data-provider").inputValue()).toBe(`Sandbox-${TRADING}`);
    const books: Record<string, { table: string; line: string | null }> = {};
    for (const tenant of [TRADING, HOLDINGS]) {
      if (tenant !== TRADING) {
        await page.getByTestId("data-provider").selectOption(`Sandbox-${tenant}`);
        await expect
          .poll(() => page.getByTestId("data-table").textContent(), { timeout: 10_000 })
          .not.toBe(books[TRADING]!.table);
      }
      await expect.poll(() => page.getByTestId("data-row").count(), { timeout: 10_000 }).toBeGreaterThan(3);
      const line = await page.getByTestId("chart-line").getAttribute("d");
      // One point per month of the last 24 that has closed or begun: at least 20 segments.
      expect(line?.match(/L/g)?.length ?? 0).toBeGreaterThanOrEqual(20);
      books[tenant] = { table: (await page.getByTestId("data-table").textContent()) ?? "", line };
      expect(books[tenant].table).toContain("Net Profit");
    }
    expect(books[HOLDINGS]!.table).not.toBe(books[TRADING]!.table);
    expect(books[HOLDINGS]!.line).not.toBe(books[TRADING]!.line);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The README's picture changes only when asked for, so a test run leaves the tree clean.
    if (process.env.UPDATE_SCREENSHOT === "1") copyFileSync(SCREENSHOT, DOCS_SCREENSHOT);

    // Change the books at the sandbox: its webhook reaches the worker, which re-fetches Trading's books.
    await page.getByTestId("data-provider").selectOption(`Sandbox-${TRADING}`);
    await expect
      .poll(() => page.getByTestId("data-table").textContent(), { timeout: 10_000 })
      .toBe(books[TRADING]!.table);
    const sales = page
      .getByTestId("data-row")
      .filter({ has: page.getByRole("rowheader", { name: "Sales", exact: true }) })
      .locator("td")
      .last();
    const amount = async () => Number(((await sales.textContent()) ?? "").replace(/,/g, ""));
    const salesBefore = await amount();
    await page.getByTestId(`change-Sandbox-${TRADING}`).click();
    await expect
      .poll(() => page.getByTestId("message").textContent(), { timeout: 90_000 })
      .toMatch(/^Sandbox · Sandbox Trading Ltd: re-fetched after the provider's notification/);
    expect(await page.getByTestId(`token-Sandbox-${TRADING}`).textContent()).toContain("provider_event");
    expect(await page.getByTestId(`provider-events-Sandbox-${TRADING}`).textContent()).toBe("none waiting");
    expect(await page.getByTestId("data-provider").inputValue()).toBe(`Sandbox-${TRADING}`);
    expect(await amount()).toBe(salesBefore + 1000);

    await page.getByTestId(`disconnect-Sandbox-${HOLDINGS}`).click();
    await expect.poll(() => page.getByTestId(`connection-Sandbox-${HOLDINGS}`).count()).toBe(0);
    expect(await page.getByTestId("provider-status-Sandbox").textContent()).toBe("connected");
    expect(await page.getByTestId(`connection-Sandbox-${TRADING}`).count()).toBe(1);
    await page.getByTestId(`disconnect-Sandbox-${TRADING}`).click();
    await expect.poll(() => page.getByTestId("provider-status-Sandbox").textContent()).toBe("not connected");
    expect(await page.getByTestId(`disconnect-Sandbox-${TRADING}`).count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("should connect the one company ticked without asking which", async () => {
    const context = await dev.browser.newContext();
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${dev.server.url}/`);
    await expect.poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("not connected");
    const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByTestId("connect-SandboxPayroll").click()]);
    await popup.getByRole("checkbox", { name: "Sandbox Trading Ltd" }).uncheck();
    await popup.getByRole("checkbox", { name: "Sandbox Holdings Ltd" }).check();
    await popup.getByRole("button", { name: "Approve" }).click();
    await expect
      .poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent(), { timeout: 15_000 })
      .toBe("connected");
    expect(await page.getByTestId("tenant-choice").isHidden()).toBe(true);
    expect(await page.getByTestId(`company-SandboxPayroll-${HOLDINGS}`).textContent()).toBe("Sandbox Holdings Ltd");
    await page.getByTestId(`disconnect-SandboxPayroll-${HOLDINGS}`).click();
    await expect.poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("not connected");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("should show the popup's error when the person denies access", async () => {
    const context = await dev.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${dev.server.url}/`);
    await expect.poll(() => page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("not connected");
    const [popup] = await Promise.all([page.waitForEvent("popup"), page.getByTestId("connect-SandboxPayroll").click()]);
    await popup.getByRole("button", { name: "Deny" }).click();
    await expect.poll(() => page.getByTestId("message").textContent()).toMatch(/^Connecting SandboxPayroll failed: /);
    expect(await page.getByTestId("message").textContent()).toContain("You did not allow access at");
    expect(await page.getByTestId("provider-status-SandboxPayroll").textContent()).toBe("not connected");
    await context.close();
  });

  it("should warn, with a link to APP_ORIGIN, when opened at another origin", async () => {
    const context = await dev.browser.newContext();
    const page = await context.newPage();
    const url = new URL(dev.server.url);
    await page.goto(`http://localhost:${url.port}/`);
    const warning = page.getByTestId("origin-warning");
    await expect.poll(() => warning.isVisible()).toBe(true);
    expect(await warning.textContent()).toContain(`APP_ORIGIN is ${dev.server.url}`);
    expect(await page.getByTestId("origin-link").getAttribute("href")).toBe(`${dev.server.url}/`);
    await context.close();
  });
});
