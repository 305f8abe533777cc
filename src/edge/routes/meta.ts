// Service routes: health, and (mounted by the app once every route exists) the OpenAPI document and
// a page that renders it.
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { describe } from "../docs";
import type { AppEnv } from "../env";

// Written by wrangler when it bundles (docs.ts describe): a deploy drops the route docs below.
declare const process: { readonly env: { readonly NODE_ENV?: string } };

export const metaRoutes = new Hono<AppEnv>().get(
  "/health",
  describe(
    process.env.NODE_ENV !== "production" && {
      tag: "Service",
      summary: "Liveness check",
      access: "public",
      responses: { 200: { description: "The worker is up", schema: z.object({ status: z.literal("ok") }) } },
    },
  ),
  (c) => c.json({ status: "ok" as const }),
);
