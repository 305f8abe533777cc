// Durations in milliseconds, so that a limit reads as "30 * DAY_MS" rather than as a count of zeros.
export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
