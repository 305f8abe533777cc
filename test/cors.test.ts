// CORS for the host app's origin (APP_ORIGIN) only: its preflights and requests get the headers a
// browser needs; any other origin gets no CORS header at all.
import { describe, expect, it } from "vitest";
import { call, token } from "./helpers";

const APP = "https://app.example.test";
const corsHeaders = (res: Response) => [...res.headers.keys()].filter((h) => h.startsWith("access-control-"));

describe("CORS", () => {
  it("should answer the host app's preflight with 204, its origin, and Authorization and Content-Type allowed", async () => {
    const res = await call("/integration/connect-sessions", {
      method: "OPTIONS",
      headers: {
        Origin: APP,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(APP);
    const allowed = (res.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase();
    expect(allowed).toContain("authorization");
    expect(allowed).toContain("content-type");
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("POST");
  });

  it("should let the host app read a real response (and its Retry-After)", async () => {
    const res = await call("/integration/providers?workspace_id=ws-cors", {
      headers: { Origin: APP },
      bearer: await token({ "ws-cors": "member" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(APP);
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("Retry-After");
  });

  it.each(["https://evil.example", "https://app.example.test.evil.example", "null", "http://app.example.test"])(
    "should give %s no CORS header, preflight or not",
    async (origin) => {
      const preflight = await call("/integration/connect-sessions", {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      });
      expect(corsHeaders(preflight)).toEqual([]);
      const res = await call("/integration/providers?workspace_id=ws-cors", {
        headers: { Origin: origin },
        bearer: await token({ "ws-cors": "member" }),
      });
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
    },
  );
});
