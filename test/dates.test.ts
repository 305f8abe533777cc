// The adapters' UTC calendar helpers: parsing provider date formats, month arithmetic, cache keys.
import { describe, expect, it } from "vitest";
import {
  addMonths,
  cacheDateKey,
  latest31DayMonthEnd,
  monthEnd,
  parseDate,
  parseIsoDate,
  toIsoDate,
} from "../src/framework/dates";

describe("parseDate", () => {
  it("should read ISO / Gusto dates unchanged", () => {
    expect(parseDate("2022-03-31")).toBe("2022-03-31");
    expect(parseDate("2021-07-12")).toBe("2021-07-12");
  });

  it("should read Xero Profit & Loss headers with two-digit years as 20xx", () => {
    expect(parseDate("31 Mar 22")).toBe("2022-03-31");
    expect(parseDate("28 Feb 22")).toBe("2022-02-28");
    expect(parseDate("30 Apr 21")).toBe("2021-04-30");
    expect(parseDate("1 Jan 00")).toBe("2000-01-01");
  });

  it("should read Xero Balance Sheet headers with four-digit years", () => {
    expect(parseDate("31 May 2022")).toBe("2022-05-31");
    expect(parseDate("30 Jun 2021")).toBe("2021-06-30");
  });

  it("should accept full month names, any case and surrounding spaces", () => {
    expect(parseDate("30 September 2021")).toBe("2021-09-30");
    expect(parseDate("31 dec 21")).toBe("2021-12-31");
    expect(parseDate("  31 MAR 2022 ")).toBe("2022-03-31");
  });

  it("should honour leap years", () => {
    expect(parseDate("29 Feb 24")).toBe("2024-02-29");
    expect(parseDate("29 Feb 23")).toBeNull();
  });

  it("should reject anything that is not a real date in a known format", () => {
    for (const text of [
      "",
      "2022-02-30",
      "31 Feb 22",
      "31 Apr 2022",
      "31 Foo 22",
      "31 Ma 22",
      "31 Mar 202",
      "31/03/2022",
      "Mar 31 2022",
      "0 Mar 22",
      "2022-3-1",
    ]) {
      expect(parseDate(text), text).toBeNull();
    }
  });
});

describe("parseIsoDate", () => {
  it("should accept real calendar days in YYYY-MM-DD", () => {
    expect(parseIsoDate("2022-02-28")).toBe("2022-02-28");
    expect(parseIsoDate("2024-02-29")).toBe("2024-02-29");
    expect(parseIsoDate("2000-02-29")).toBe("2000-02-29");
  });

  it("should reject invalid calendar dates and every other format", () => {
    const rejected = [
      "2022-02-30",
      "2022-02-29",
      "1900-02-29",
      "2022-04-31",
      "2022-13-01",
      "2022-00-10",
      "2022-01-00",
      "2022-1-01",
      "22-01-01",
      " 2022-01-01",
      "2022-01-01T00:00:00Z",
      "31 Mar 22",
      "",
    ];
    for (const text of rejected) expect(parseIsoDate(text), text).toBeNull();
  });
});

describe("month arithmetic", () => {
  it("should give the last day of a month, leap Februaries included", () => {
    expect(monthEnd("2022-02-10")).toBe("2022-02-28");
    expect(monthEnd("2024-02-01")).toBe("2024-02-29");
    expect(monthEnd("2022-04-30")).toBe("2022-04-30");
    expect(monthEnd("2021-12-01")).toBe("2021-12-31");
  });

  it("should read Dates by their UTC calendar day", () => {
    expect(monthEnd(new Date(Date.UTC(2022, 3, 15)))).toBe("2022-04-30");
    // 23:30 at UTC-2 on 31 March is already 1 April in UTC.
    expect(toIsoDate(new Date("2022-03-31T23:30:00-02:00"))).toBe("2022-04-01");
    expect(monthEnd(new Date("2022-03-31T23:30:00-02:00"))).toBe("2022-04-30");
  });

  it("should add months on month starts without day overflow", () => {
    expect(addMonths("2022-01-31", 1)).toBe("2022-02-01");
    expect(addMonths("2021-12-31", 1)).toBe("2022-01-01");
    expect(addMonths("2022-03-15", 23)).toBe("2024-02-01");
    expect(addMonths("2022-01-10", -1)).toBe("2021-12-01");
    expect(addMonths("2022-05-20", 0)).toBe("2022-05-01");
    expect(addMonths("2020-01-01", -25)).toBe("2017-12-01");
  });

  it("should find the latest 31-day month end not after the date's month", () => {
    const cases: [string, string][] = [
      ["2022-02-01", "2022-01-31"],
      ["2022-02-28", "2022-01-31"],
      ["2022-03-05", "2022-03-31"],
      ["2022-04-30", "2022-03-31"],
      ["2022-06-01", "2022-05-31"],
      ["2022-07-31", "2022-07-31"],
      ["2022-08-01", "2022-08-31"],
      ["2022-09-15", "2022-08-31"],
      ["2022-11-30", "2022-10-31"],
      ["2022-12-31", "2022-12-31"],
      ["2024-02-29", "2024-01-31"],
    ];
    for (const [date, expected] of cases) expect(latest31DayMonthEnd(date), date).toBe(expected);
  });

  it("should throw a RangeError for an invalid date or month count", () => {
    expect(() => monthEnd("2022-02-30")).toThrow(RangeError);
    expect(() => monthEnd("31 Mar 22")).toThrow(RangeError);
    expect(() => monthEnd(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => addMonths("2022-01-01", 1.5)).toThrow(RangeError);
  });
});

describe("cacheDateKey", () => {
  it("should share one key for from dates in the same 31-day month (2022-02-10 and 2022-01-20)", () => {
    const key = cacheDateKey("2022-02-10");
    expect(key).toBe(1643587200);
    expect(key).toBe(Date.UTC(2022, 0, 31) / 1000);
    expect(cacheDateKey("2022-01-20")).toBe(key);
    expect(cacheDateKey("2022-01-01")).toBe(key);
  });

  it("should give UTC-midnight seconds of the latest 31-day month end", () => {
    expect(cacheDateKey("2022-03-05")).toBe(1648684800);
    expect(cacheDateKey("2022-04-15")).toBe(1648684800);
    expect(cacheDateKey("2021-12-31")).toBe(1640908800);
    expect(cacheDateKey(new Date(Date.UTC(2022, 1, 10, 18)))).toBe(1643587200);
    expect(Number.isInteger(cacheDateKey("2022-06-30"))).toBe(true);
  });

  it("should keep years below 100 out of the 1900s", () => {
    expect(cacheDateKey("0050-01-15")).toBe(new Date("0050-01-31T00:00:00Z").getTime() / 1000);
  });
});
