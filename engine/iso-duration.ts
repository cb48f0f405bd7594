/** An ISO 8601 duration, e.g. P30D or P1Y2M or PT12H. */
export interface IsoDuration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const pattern = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(?:T(?!$)(\d+H)?(\d+M)?(\d+S)?)?$/;

/** Parses a duration; undefined when `text` is not one (fractions are not accepted). */
export function parseIsoDuration(text: string): IsoDuration | undefined {
  const m = pattern.exec(text);
  if (!m) return undefined;
  const n = (part: string | undefined) => (part ? Number.parseInt(part, 10) : 0);
  return { years: n(m[1]), months: n(m[2]), weeks: n(m[3]), days: n(m[4]), hours: n(m[5]), minutes: n(m[6]), seconds: n(m[7]) };
}

/**
 * `start` plus `d` (minus with `sign` -1), calendar-aware for years and months (Japan has no DST, so
 * UTC arithmetic is exact).
 */
export function addIsoDuration(start: Date, d: IsoDuration, sign: 1 | -1 = 1): Date {
  const t = new Date(start.getTime());
  if (d.years || d.months) t.setUTCMonth(t.getUTCMonth() + sign * (d.years * 12 + d.months));
  t.setUTCDate(t.getUTCDate() + sign * (d.weeks * 7 + d.days));
  return new Date(t.getTime() + sign * ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000);
}

/** A calendar date (YYYY-MM-DD) plus or minus a duration's date part, as YYYY-MM-DD. */
export function shiftDate(date: string, duration: string, sign: 1 | -1 = 1): string {
  const d = parseIsoDuration(duration);
  if (!d) throw new RangeError(`not an ISO 8601 duration: ${duration}`);
  return addIsoDuration(new Date(`${date}T00:00:00Z`), d, sign).toISOString().slice(0, 10);
}
