// The browser tests' setup: plain `wrangler dev` with the development variables and Debian's Chromium
// (through playwright-core), started together for a test file and stopped after it; an error that says
// how to install Chromium when it is missing.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { type DevServer, developmentVars, freePort, startDev } from "./dev-server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

async function startDevAndBrowser(): Promise<{ server: DevServer; browser: Browser }> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (as root: apt-get update && apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary`,
    );
  const port = await freePort();
  const [server, browser] = await Promise.all([
    startDev({ port, args: ["--env-file", developmentVars(port)] }),
    chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] }),
  ]);
  return { server, browser };
}

/** Starts both before the file's tests and stops them after; read them in a test, once started. */
export function useDevAndBrowser(): { readonly server: DevServer; readonly browser: Browser } {
  let started: { server: DevServer; browser: Browser } | undefined;
  beforeAll(async () => {
    started = await startDevAndBrowser();
  }, 120_000);
  afterAll(async () => {
    await started?.browser.close();
    await started?.server.stop();
  });
  const get = () => {
    if (!started) throw new Error("wrangler dev and Chromium did not start (see beforeAll's error)");
    return started;
  };
  return {
    get server() {
      return get().server;
    },
    get browser() {
      return get().browser;
    },
  };
}
