/** The source of "now"; injected so tests and timers can move time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and advance. */
export function createManualClock(start: Date): Clock & { set(date: Date): void; advance(ms: number): void } {
  let current = new Date(start.getTime());
  return {
    now: () => new Date(current.getTime()),
    set: (date) => { current = new Date(date.getTime()); },
    advance: (ms) => { current = new Date(current.getTime() + ms); },
  };
}

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** The business date in Japan (UTC+9, no DST) as YYYY-MM-DD. */
export function japanDate(instant: Date): string {
  return new Date(instant.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Whether `text` is a real calendar date in YYYY-MM-DD form. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}
