// The Swagger UI page at /docs (development only; app.ts): loaded with the development app, so a
// deploy's bundle carries neither the page nor @hono/swagger-ui.
import { SwaggerUI } from "@hono/swagger-ui";
import type { Context } from "hono";
import { html, raw } from "hono/html";
import { INFO } from "./docs";
import type { AppEnv } from "./env";
import { htmlPage } from "./html";

/** Swagger UI, pinned, from jsDelivr; our inline script runs under a nonce and nothing else may. */
const SWAGGER_UI = { baseUrl: "https://cdn.jsdelivr.net/npm", version: "5.35.0" };

export function docsPage(c: Context<AppEnv, string>): Promise<Response> {
  const cdn = `${SWAGGER_UI.baseUrl}/swagger-ui-dist@${SWAGGER_UI.version}/`;
  return htmlPage(
    c,
    (nonce) => {
      // SwaggerUI returns a string, built here from the pinned asset URLs by the escaping template.
      const swagger = SwaggerUI({
        ...SWAGGER_UI,
        url: "/openapi.json",
        manuallySwaggerUIHtml: (asset) => {
          const markup = html` <div id="swagger-ui"></div>
            ${asset.css.map((href) => html`<link rel="stylesheet" href="${href}" /> `)}${asset.js.map(
              (src) => html`<script nonce="${nonce}" src="${src}" crossorigin="anonymous"></script> `,
            )}
            <script nonce="${nonce}">
              window.onload = () => {
                window.ui = SwaggerUIBundle({ dom_id: "#swagger-ui", url: "/openapi.json" });
              };
            </script>`;
          if (markup instanceof Promise) throw new Error("the Swagger UI markup has no async parts");
          return markup.toString();
        },
      });
      return html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>${INFO.title} API</title>
          </head>
          <body>
            ${raw(swagger)}
          </body>
        </html>`;
    },
    { connectSelf: true, scriptFrom: cdn, styleFrom: cdn, images: "data:" },
  );
}
