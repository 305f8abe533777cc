// What the synthesized Xero and QuickBooks reports share: month indexes (year * 12 + 0-based month),
// ISO date parsing, deterministic amounts in cents and their decimal strings.

export const SHORT_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A report body and the status to answer it with. */
export interface ReportResult {
  status: number;
  body: unknown;
}

export const yearOf = (mi: number): number => Math.floor(mi / 12);
export const lastDay = (mi: number): number => new Date(Date.UTC(yearOf(mi), (mi % 12) + 1, 0)).getUTCDate();
/** The ISO date of day `day` of month index `mi`. */
export const isoDate = (mi: number, day: number): string =>
  `${yearOf(mi)}-${String((mi % 12) + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`;

/** A strict `YYYY-MM-DD` as a month index and day; null when it is not a real date. */
export function parseDate(s: string): { mi: number; day: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const date = new Date(Date.UTC(y, mo, d));
  if (date.getUTCMonth() !== mo || date.getUTCDate() !== d) return null;
  return { mi: y * 12 + mo, day: d };
}

/** Deterministic amount in cents for a key (e.g. a line title) and a month: 0.00 to 9999.99. */
export function syntheticCents(key: string, mi: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${key}|${isoDate(mi, 1).slice(0, 7)}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 1_000_000;
}

/** Cents as a decimal string: -1234 → "-12.34". */
export const money = (cents: number): string =>
  `${cents < 0 ? "-" : ""}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, "0")}`;

/** Element-wise a + sign × b. */
export const add = (a: number[], b: number[], sign = 1): number[] => a.map((v, i) => v + sign * (b[i] ?? 0));
