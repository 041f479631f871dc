// Times as the API sends them (ISO 8601 with an offset), shown in the store's
// time zone (``Store.timezone``), never the browser's.

/** "3 Dec 2026, 14:05" in ``timeZone`` (the store's). */
export function formatTime(iso: string | null | undefined, timeZone?: string, locale?: string): string {
  if (!iso) return "—";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(at);
}

/** "3 Dec 2026" in ``timeZone``. */
export function formatDay(iso: string | null | undefined, timeZone?: string, locale?: string): string {
  if (!iso) return "—";
  const at = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: iso.length === 10 ? "UTC" : timeZone }).format(at);
}

/** The calendar day (YYYY-MM-DD) it is now in ``timeZone``. */
export function today(timeZone?: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}
