// The console's HTML: one static page with an inline nonce'd style and script under a strict CSP
// (fetches to this origin only; no images, frames, forms or other scripts).
import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { AppEnv } from "../env";
import { htmlPage, pageDocument, scriptJson } from "../html";
import { CONSOLE_SCRIPT } from "./script";
import { CONSOLE_STYLE } from "./style";

export interface ConsoleConfig {
  /** The demo user's bearer JWT; it goes into the page and nowhere else (never logged). */
  jwt: string;
  /** Where the connect popup posts its outcome: the console works only when served from it. */
  /** APP_ORIGIN's origins: the page warns when it is open at none of them. */
  appOrigins: string[];
  workspaceId: string;
  userId: string;
}

export function consolePage(c: Context<AppEnv, string>, config: ConsoleConfig): Promise<Response> {
  const page = (nonce: string) =>
    pageDocument(
      nonce,
      "zebbra-integrations · dev console",
      CONSOLE_STYLE,
      html`<header class="top">
          <div>
            <h1>zebbra-integrations <span class="badge">dev console</span></h1>
            <p class="sub">
              Signed in as <strong>${config.userId}</strong>, admin of workspace
              <strong>${config.workspaceId}</strong> · a local stand-in for the host app
            </p>
          </div>
          <div class="cron">
            <button type="button" id="run-cron" data-testid="run-cron">Run cron now</button>
            <span id="cron-status" data-testid="cron-status" role="status" aria-live="polite"></span>
          </div>
        </header>
        <main>
          <div id="origin-warning" data-testid="origin-warning" class="warning" role="alert" hidden></div>
          <div id="message" data-testid="message" class="message" role="status" aria-live="polite" hidden></div>
          <div
            id="tenant-choice"
            data-testid="tenant-choice"
            class="choice"
            role="group"
            aria-labelledby="tenant-choice-title"
            hidden
          >
            <p id="tenant-choice-title"></p>
            <div id="tenant-choice-list" class="choice-list"></div>
            <button
              type="button"
              class="primary"
              id="tenant-choice-confirm"
              data-testid="tenant-choice-confirm"
              disabled
            >
              Connect selected
            </button>
            <button type="button" id="tenant-choice-cancel" data-testid="tenant-choice-cancel">Cancel</button>
          </div>

          <section aria-labelledby="providers-title">
            <h2 id="providers-title">Providers</h2>
            <div class="scroll">
              <table id="providers" data-testid="providers">
                <thead>
                  <tr>
                    <th scope="col">Provider</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">Company</th>
                    <th scope="col">Connected by</th>
                    <th scope="col">Connected at</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <td colspan="7" class="muted">Loading…</td>
                  </tr>
                </tbody>
              </table>
            </div>
          </section>

          <section aria-labelledby="tokens-title">
            <h2 id="tokens-title">Connections and tokens</h2>
            <div class="scroll">
              <table id="token-status" data-testid="token-status">
                <thead>
                  <tr>
                    <th scope="col">Connection</th>
                    <th scope="col">Access token expires in</th>
                    <th scope="col">Last refresh</th>
                    <th scope="col">Refresh failures</th>
                    <th scope="col">Reconnect needed</th>
                    <th scope="col">Last fetch</th>
                    <th scope="col">Provider events</th>
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <td colspan="7" class="muted">No connections yet.</td>
                  </tr>
                </tbody>
              </table>
            </div>
          </section>

          <section aria-labelledby="data-title">
            <h2 id="data-title">Data <span class="muted" id="data-range"></span></h2>
            <div class="controls">
              <label for="data-provider">Connection</label>
              <select id="data-provider" data-testid="data-provider"></select>
              <label for="chart-title">Chart</label>
              <select id="chart-title" data-testid="chart-title"></select>
              <span id="data-fetched" class="muted"></span>
            </div>
            <figure class="chart-box">
              <svg id="chart" data-testid="chart" role="img" aria-label="No data to chart" viewBox="0 0 760 220"></svg>
              <figcaption id="chart-caption" class="muted"></figcaption>
            </figure>
            <div class="scroll data">
              <table id="data-table" data-testid="data-table">
                <tbody>
                  <tr>
                    <td class="muted">Connect a provider, then press Fetch now or Run cron now.</td>
                  </tr>
                </tbody>
              </table>
            </div>
          </section>
        </main>
        <script nonce="${nonce}">
          var CONFIG =
            ${raw(scriptJson({ jwt: config.jwt, appOrigins: config.appOrigins, workspaceId: config.workspaceId }))};
          ${raw(CONSOLE_SCRIPT)};
        </script> `,
    );
  return htmlPage(c, page, { connectSelf: true });
}
