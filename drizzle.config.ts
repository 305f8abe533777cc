// drizzle-kit configuration: `npm run db:generate` writes SQL migrations that wrangler applies.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/storage/schema.ts",
  out: "./migrations",
  migrations: { prefix: "index" },
});
