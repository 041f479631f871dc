"""What reporting's RPCs take, checked again on entry (the gateway checked
it at the edge, docs/ARCHITECTURE.md#rule-8): ids as UUIDs, times as ISO
8601, a known grouping, a positive rate of a three-letter currency."""
import re
from decimal import Decimal, InvalidOperation

from chassis.clock import instant
from chassis.errors import InvalidInput
from chassis.validation import uuid_arg

from .sales_report import GROUP_BY

MAX_RATE = 10 ** 12
TRANSFER_REQUEST_STATUSES = ("open", "shipped", "received", "declined")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _invalid(field, message):
    return InvalidInput("the request has invalid fields", {field: [message]})


def _id(q, field):
    return uuid_arg(q[field], field) if q.get(field) else None


def _time(q, field):
    try:
        return instant(q.get(field))
    except (TypeError, ValueError):
        raise _invalid(field, "not an ISO 8601 time") from None


def _one_of(q, field, allowed, default=None):
    value = q.get(field) or default
    if value is not None and value not in allowed:
        raise _invalid(field, f"must be one of: {', '.join(allowed)}")
    return value


def period_query(q):
    """``store_id``, ``since``, ``until`` (and ``group_by`` when given)."""
    q = dict(q or {})
    out = {"store_id": _id(q, "store_id"), "since": _time(q, "since"), "until": _time(q, "until")}
    if out["since"] and out["until"] and out["until"] <= out["since"]:
        raise _invalid("until", "must be after since (the period ends before it starts)")
    out["group_by"] = _one_of(q, "group_by", GROUP_BY, "day")
    return out


def fx_rate(data):
    data = dict(data or {})
    currency = str(data.get("currency") or "").strip().upper()
    if not _CURRENCY.match(currency):
        raise _invalid("currency", "an ISO 4217 code such as EUR")
    try:
        rate = Decimal(str(data.get("rate")))
    except InvalidOperation:
        raise _invalid("rate", "not a number") from None
    if not rate.is_finite() or rate <= 0 or rate >= MAX_RATE:
        raise _invalid("rate", f"must be greater than 0 and below {MAX_RATE}")
    return {"currency": currency, "rate": rate, "effective_at": _time(data, "effective_at")}


def transfer_request(data):
    data = dict(data or {})
    if not data.get("item_id"):
        raise _invalid("item_id", "required")
    note = data.get("note")
    if note is not None and len(str(note)) > 500:
        raise _invalid("note", "at most 500 characters")
    return {"item_id": uuid_arg(data["item_id"], "item_id"), "to_store_id": _id(data, "to_store_id"),
            "note": note}


def transfer_request_page(q):
    q = dict(q or {})
    try:
        limit = int(q.get("limit") or 50)
    except (TypeError, ValueError):
        raise _invalid("limit", "not a whole number") from None
    if not 1 <= limit <= 200:
        raise _invalid("limit", "between 1 and 200")
    return {"store_id": _id(q, "store_id"), "limit": limit, "cursor": q.get("cursor"),
            "status": _one_of(q, "status", TRANSFER_REQUEST_STATUSES),
            "direction": _one_of(q, "direction", ("incoming", "outgoing"))}
