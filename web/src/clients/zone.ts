// Days and wall-clock times of a store's time zone, for the appointment book:
// where a viewing falls in the week, and the instant a "Friday 14:30" typed at
// the counter means (the store's zone, never the browser's).

const parts = (at: Date, timeZone: string) => {
  const found = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => Number(found.find((p) => p.type === type)?.value ?? 0);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute"), second: get("second") };
};

const pad = (n: number) => String(n).padStart(2, "0");

/** The store's calendar day (YYYY-MM-DD) and time (HH:MM) at ``iso``. */
export function wallClock(iso: string, timeZone: string): { day: string; time: string } {
  const p = parts(new Date(iso), timeZone);
  return { day: `${p.year}-${pad(p.month)}-${pad(p.day)}`, time: `${pad(p.hour)}:${pad(p.minute)}` };
}

function offsetMs(utc: number, timeZone: string): number {
  const p = parts(new Date(utc), timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(utc / 1000) * 1000;
}

/** The instant (ISO 8601, UTC) of ``day`` ``time`` on the store's clock. */
export function instantOf(day: string, time: string, timeZone: string): string {
  const [y, m, d] = day.split("-").map(Number);
  const [h, mi] = time.split(":").map(Number);
  const naive = Date.UTC(y, m - 1, d, h, mi);
  let utc = naive - offsetMs(naive, timeZone);
  utc = naive - offsetMs(utc, timeZone); // a day that changes its offset (DST) settles on the second pass
  return new Date(utc).toISOString();
}

/** ``day`` plus ``n`` days (YYYY-MM-DD). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The Monday of ``day``'s week. */
export function mondayOf(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // Monday 0
  return addDays(day, -weekday);
}

/** "Mon 7 Dec" for a calendar day. */
export function dayLabel(day: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" })
    .format(new Date(`${day}T12:00:00Z`));
}
