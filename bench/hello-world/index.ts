// The reference for startup figures: the smallest Hono worker (bench/weight.ts measures both).
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.text("Hello Hono!"));

export default app;
