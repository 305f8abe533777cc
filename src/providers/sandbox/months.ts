// The sandbox report calls for a fetch: 24 months from the first day of fromDate, twelve per call.

/** `YYYY-MM-DD` → two `{ from, to }` spans of twelve months (`YYYY-MM`), the first starting at fromDate's month. */
export function reportMonths(fromDate: string): { from: string; to: string }[] {
  const start = Number(fromDate.slice(0, 4)) * 12 + Number(fromDate.slice(5, 7)) - 1;
  const ym = (m: number) => `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}`;
  return [0, 12].map((offset) => ({ from: ym(start + offset), to: ym(start + offset + 11) }));
}
