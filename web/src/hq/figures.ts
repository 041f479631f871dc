// HQ's arithmetic, apart from the screen (and tested on its own): money of a
// store's currency in the chain's reporting currency, with the rates HQ keeps.

/** The currency's ISO 4217 exponent as Intl knows it (money.ts's, without its imports for the unit tests). */
const exponent = (currency: string) =>
  new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;

export interface Rate {
  /** The store's currency. */
  currency: string;
  /** How much of the reporting currency one unit of ``currency`` is (a decimal, as text). */
  rate: string;
}

/** ``amount`` minor units of ``currency`` in minor units of ``into``; null: HQ has no rate for it. */
export function convert(amount: number, currency: string, into: string, rates: Rate[]): number | null {
  if (currency === into) return amount;
  const rate = rates.find((r) => r.currency === currency);
  if (!rate) return null;
  const major = amount / 10 ** exponent(currency);
  return Math.round(major * Number(rate.rate) * 10 ** exponent(into));
}

/** The UTC calendar day ``n`` days before ``now`` (YYYY-MM-DD), as the reports' ``since`` takes it. */
export function daysAgo(n: number, now = new Date()): string {
  const d = new Date(now.getTime());
  d.setUTCDate(d.getUTCDate() - n);
  return d.toISOString().slice(0, 10);
}
