"""Money arithmetic without floats (docs/ARCHITECTURE.md#rule-6): integer minor units, exact
rounding, allocations that always add up. Pure functions, tested directly."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

# a currency's exponent is known once, in contracts.money (docs/ARCHITECTURE.md#rule-6)
from contracts.money import exponent


def round_half_up(numerator, denominator):
    """``numerator / denominator`` rounded half away from zero, for integers."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def bps_of(amount, bps):
    """``bps`` basis points of ``amount`` (887 bps = 8.87 %), rounded half up."""
    return round_half_up(amount * bps, 10000)


def allocate(total, weights):
    """Split ``total`` in proportion to ``weights`` (largest remainder); the
    parts always add up to ``total``. Zero weights get zero unless all are zero."""
    weights = [max(0, int(w)) for w in weights]
    if not weights:
        return []
    whole = sum(weights)
    if whole == 0:
        return split_even(total, len(weights))
    parts = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(parts)]:
        parts[i] += 1
    return parts


def split_even(total, n):
    """``total`` in ``n`` parts differing by at most one unit, larger first."""
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def parse_rate(value):
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not rate.is_finite() or rate <= 0:
        return None
    return rate


def cross_rate(hq_rates, from_currency, to_currency):
    """Units of ``to_currency`` for one ``from_currency`` from HQ's rates
    (``{"reporting_currency": R, "rates": {currency: units of R for one}}``,
    as ``POST /fx-rates`` records them); None when HQ has no rate for one of
    the two. Twelve significant digits."""
    hq_rates = hq_rates or {}
    reporting, rates = hq_rates.get("reporting_currency"), hq_rates.get("rates") or {}

    def into_reporting(currency):
        return Decimal(1) if currency == reporting else parse_rate(rates.get(currency))

    r_from, r_to = into_reporting(from_currency), into_reporting(to_currency)
    if not reporting or r_from is None or r_to is None:
        return None
    with localcontext() as context:
        context.prec = 12
        return (r_from / r_to).normalize()


def convert(amount, from_currency, to_currency, rate):
    """``amount`` minor units of ``from_currency`` in ``to_currency`` at
    ``rate`` (units of ``to_currency`` for one unit of ``from_currency``)."""
    shift = Decimal(10) ** (exponent(to_currency) - exponent(from_currency))
    return int((Decimal(amount) * Decimal(rate) * shift).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_lines(lines, tax_rate_bps, tax_exempt=False):
    """Net amount and tax of each line, and the sale's totals.

    ``lines``: dicts with ``list_amount``, ``discount_amount``, ``taxable``.
    Tax is computed once on the taxable total (so the receipt's tax is the
    rate applied to the taxable amount) and allocated back to the lines in
    proportion, so each line's tax is known for partial returns.
    """
    nets = [line["list_amount"] - line.get("discount_amount", 0) for line in lines]
    taxable = [n if line.get("taxable", True) and not tax_exempt else 0
               for n, line in zip(nets, lines)]
    tax = bps_of(sum(taxable), tax_rate_bps)
    taxes = allocate(tax, taxable) if tax else [0] * len(lines)
    subtotal = sum(nets)
    return {
        "lines": [{"amount": n, "tax": t} for n, t in zip(nets, taxes)],
        "gross": sum(line["list_amount"] for line in lines),
        "discount": sum(line.get("discount_amount", 0) for line in lines),
        "subtotal": subtotal, "tax": tax, "total": subtotal + tax,
    }
