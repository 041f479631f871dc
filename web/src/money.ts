// Money as the API sends it: {amount: integer minor units, currency: ISO 4217}.
// Shown with Intl.NumberFormat in the store's currency; the currency's exponent
// (2 for EUR, 0 for JPY, 3 for KWD) is the one Intl knows for it.

export interface Money {
  amount: number;
  currency: string;
}

export function exponent(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function format(amount: number, currency: string, locale?: string): string {
  const digits = exponent(currency);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount / 10 ** digits);
}

/** What a person typed ("1500", "1,500.50", "1500.5") in minor units, or null. */
export function parseMajor(text: string, currency: string): number | null {
  const cleaned = text.replace(/[\s,']/g, "");
  if (!/^\d+(\.\d*)?$/.test(cleaned)) return null;
  const digits = exponent(currency);
  const [whole, fraction = ""] = cleaned.split(".");
  if (fraction.length > digits) return null;
  const minor = Number(whole) * 10 ** digits + Number((fraction + "0".repeat(digits)).slice(0, digits) || "0");
  return Number.isSafeInteger(minor) ? minor : null;
}

/** ``bps`` basis points of ``amount``, rounded half up (as the payments service does). */
export function bpsOf(amount: number, bps: number): number {
  return Math.floor((amount * bps + 5000) / 10000);
}
