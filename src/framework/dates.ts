// Calendar-date helpers for the fetch adapters. Everything is a UTC calendar date: inputs are ISO
// `YYYY-MM-DD` strings or Dates (read through their UTC fields), outputs are ISO strings.

/** An ISO `YYYY-MM-DD` string or a Date (its UTC calendar day is used). */
export type DateInput = string | Date;

interface Ymd {
  y: number;
  /** 1–12 */
  m: number;
  d: number;
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Xero report headers: `31 Mar 22` (Profit & Loss) and `31 May 2022` (Balance Sheet).
const XERO_DATE = /^(\d{1,2}) ([A-Za-z]+) (\d{2}|\d{4})$/;

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function validYmd(y: number, m: number, d: number): Ymd | null {
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return { y, m, d };
}

function format({ y, m, d }: Ymd): string {
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

function ymdFromIso(text: string): Ymd | null {
  const match = ISO_DATE.exec(text);
  if (!match) return null;
  return validYmd(Number(match[1]), Number(match[2]), Number(match[3]));
}

function toYmd(input: DateInput): Ymd {
  if (input instanceof Date) {
    if (Number.isNaN(input.getTime())) throw new RangeError("Invalid Date");
    return { y: input.getUTCFullYear(), m: input.getUTCMonth() + 1, d: input.getUTCDate() };
  }
  const ymd = ymdFromIso(input);
  if (!ymd) throw new RangeError(`Not a valid YYYY-MM-DD date: "${input}"`);
  return ymd;
}

/** Months since year 0, so month arithmetic is plain integer arithmetic. */
function monthIndex({ y, m }: Ymd): number {
  return y * 12 + (m - 1);
}

function fromMonthIndex(index: number, day: "first" | "last"): Ymd {
  const y = Math.floor(index / 12);
  const m = index - y * 12 + 1;
  return { y, m, d: day === "first" ? 1 : daysInMonth(y, m) };
}

/**
 * Strict parser for API input: accepts only `YYYY-MM-DD` naming a real calendar day
 * (`2022-02-30` and `2022-2-3` are rejected). Returns the date unchanged, or null.
 */
export function parseIsoDate(text: string): string | null {
  const ymd = ymdFromIso(text);
  return ymd ? format(ymd) : null;
}

/**
 * Parses a date as providers write it: ISO / Gusto `2022-03-31`, Xero `31 Mar 22` (two-digit year
 * means 20xx) or `31 May 2022`. Month names may be abbreviated or full, in any case.
 * Returns the ISO date, or null when the text is not a real calendar date in one of those forms.
 */
export function parseDate(text: string): string | null {
  const trimmed = text.trim();
  const iso = parseIsoDate(trimmed);
  if (iso) return iso;
  const match = XERO_DATE.exec(trimmed);
  if (!match) return null;
  const [, day = "", name = "", year = ""] = match;
  const lower = name.toLowerCase();
  const m = MONTHS.findIndex((month) => month === lower || month.slice(0, 3) === lower) + 1;
  if (m === 0) return null;
  const y = year.length === 2 ? 2000 + Number(year) : Number(year);
  const ymd = validYmd(y, m, Number(day));
  return ymd ? format(ymd) : null;
}

/** The ISO date of a Date's UTC calendar day (or an ISO string, validated). */
export function toIsoDate(date: DateInput): string {
  return format(toYmd(date));
}

/** The last day of the date's month. */
export function monthEnd(date: DateInput): string {
  return format(fromMonthIndex(monthIndex(toYmd(date)), "last"));
}

/**
 * The first day of the month `n` months after (or before, when negative) the date's month.
 * Works on month starts, so there is no day overflow: `addMonths("2022-01-31", 1)` is `2022-02-01`.
 */
export function addMonths(date: DateInput, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`addMonths needs a whole number of months, got ${n}`);
  return format(fromMonthIndex(monthIndex(toYmd(date)) + n, "first"));
}

/** Whole months from `from`'s month to `to`'s month: 0 within one month, negative when `to` is earlier. */
export function monthsBetween(from: DateInput, to: DateInput): number {
  return monthIndex(toYmd(to)) - monthIndex(toYmd(from));
}

/**
 * The last day of the latest month that has 31 days and is not after the date's month:
 * 2022-02-xx → 2022-01-31, 2022-03-05 → 2022-03-31, 2022-04-xx → 2022-03-31.
 */
export function latest31DayMonthEnd(date: DateInput): string {
  let index = monthIndex(toYmd(date));
  // Every month with fewer than 31 days follows a 31-day month, so this runs at most twice.
  while (fromMonthIndex(index, "last").d !== 31) index -= 1;
  return format(fromMonthIndex(index, "last"));
}

/** UTC midnight of an ISO date as Unix seconds. */
function unixSeconds(date: DateInput): number {
  const { y, m, d } = toYmd(date);
  const utc = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  utc.setUTCFullYear(y, m - 1, d);
  return utc.getTime() / 1000;
}

/**
 * The 12-month batch rule's cache key for a `from_date` (Zebbra's original framework's): `latest31DayMonthEnd(fromDate)` as UTC-midnight Unix
 * seconds. Dates in the same such month share a key (2022-02-10 and 2022-01-20 → 2022-01-31).
 */
export function cacheDateKey(fromDate: DateInput): number {
  return unixSeconds(latest31DayMonthEnd(fromDate));
}

/** The from_date of a connection's default window: the first day of the month 23 months back (24 months in all). */
export function defaultFromDate(now: number): string {
  return addMonths(toIsoDate(new Date(now)), -23);
}

/**
 * Whether a from_date is within what this service serves: from 20 years before `now` to 1 year
 * after it (both UTC calendar days, inclusive). Anything else is a typo or an attempt to make the
 * provider work for nothing.
 */
export function fromDateInRange(date: string, now: number): boolean {
  const iso = parseIsoDate(date);
  if (!iso) return false;
  const today = toYmd(new Date(now));
  const shift = (years: number) =>
    format({ ...today, y: today.y + years, d: Math.min(today.d, daysInMonth(today.y + years, today.m)) });
  return iso >= shift(-20) && iso <= shift(1);
}
