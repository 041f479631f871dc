"""The reports as CSV: one row per report row, nested figures flattened
(``stock_owned_cost``), money in major units with its currency
(``contracts.money.major_text``), and no cell a spreadsheet would run as a
formula."""
import csv
import io
from decimal import Decimal, InvalidOperation

from contracts.money import major_text


def _is_money(value):
    return isinstance(value, dict) and set(value) == {"amount", "currency"}


def flatten(row, prefix=""):
    """One CSV row from a nested report row: money in major units, with its currency."""
    out = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if _is_money(value):
            out[name] = major_text(value)
            out.setdefault("currency", value["currency"])
        elif isinstance(value, dict):
            out.update(flatten(value, name + "_"))
        elif not isinstance(value, list):
            out[name] = value
    return out


def _cell(value):
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            Decimal(text)
        except (InvalidOperation, ValueError):
            return "'" + text   # a spreadsheet must not run it as a formula
    return text


def to_csv(rows):
    flat = [flatten(r) for r in rows]
    columns = []
    for r in flat:
        for k in r:
            if k not in columns:
                columns.append(k)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for r in flat:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return buffer.getvalue()


def summary_rows(report):
    rows = [{"scope": "store", **{k: s[k] for k in ("code", "name", "store_id")},
             **{k: s[k] for k in ("stock", "sales_today", "work_orders", "memos_overdue", "clients")}}
            for s in report["stores"]]
    chain = report["chain"]
    rows.append({"scope": "chain", "code": None, "name": None, "store_id": None,
                 **{k: chain[k] for k in ("stock", "sales_today", "work_orders", "memos_overdue", "clients")}})
    for r in rows:
        r["as_of"] = report["as_of"]
    return rows


def sales_rows(report):
    return report["rows"] + [{report["group_by"]: "TOTAL", **report["total"]}]


def turnover_rows(report):
    rows = []
    for s in report["stores"]:
        base = {k: s[k] for k in ("store_id", "code", "name")}
        for c in s["categories"]:
            rows.append({**base, **c})
        totals = {k: v for k, v in s.items() if k not in ("store_id", "code", "name", "categories")}
        rows.append({**base, "category": "ALL", **totals})
    rows.append({"store_id": None, "code": "CHAIN", "name": None, "category": "ALL", **report["total"]})
    return rows
