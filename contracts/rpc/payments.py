"""Payments RPC schemas: what the gateway validates at the edge and the
payments service validates again on entry (and the OpenAPI document shows).

HTTP answers for a sale (``sale_http_status``): a completed sale is 201; a
sale that was accepted but failed keeps its body (``status: "failed"``,
``failure_code``, ``failure_reason``) and answers 409 when a piece could
not be had (``piece_unavailable``) and 402 when a payment was refused or
could not be taken (every other failure code). Bad input is 422 and creates
nothing. A card whose outcome is unknown (Stripe did not answer) is 503: the
sale stays pending and a retry with the same ``Idempotency-Key`` settles it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..events.payments import TENDER_METHODS
from ..types import CURRENCY, Money, NonNegativeMoney

CASH_LIKE = ("cash", "cashiers_check", "money_order")
REFUND_METHODS = ("original", "store_credit")
GROUP_BY = ("day", "store", "associate")
FAILURE_CODES = ("piece_unavailable", "payment_declined", "tender_unavailable",
                 "inventory_unavailable", "abandoned", "invalid")


def sale_http_status(view: Mapping[str, Any]) -> int:
    """The HTTP status the gateway answers a ``create_sale`` reply with."""
    if view.get("status") == "completed":
        return 201
    if view.get("status") in ("pending", "compensating"):
        return 202          # another worker is driving it: its state now, ask again
    if view.get("failure_code") == "piece_unavailable":
        return 409
    return 402


def layaway_http_status(view: Mapping[str, Any]) -> int:
    """Opening a layaway: 201 active; 402 when the deposit was refused; 409
    when a piece could not be held."""
    if view.get("status") in ("active", "completed"):
        return 201
    return 402 if (view.get("failure_reason") or "").startswith("deposit") else 409


def payment_http_status(view: Mapping[str, Any]) -> int:
    """A single payment (layaway payment, work-order deposit): 201 or 402."""
    return 402 if (view.get("payment") or view).get("state") == "failed" else 201


class Instant(fields.Field[datetime]):
    """A date (start of that day, UTC) or an ISO 8601 time; returns aware UTC."""

    default_error_messages = {"invalid": "must be an ISO 8601 date or date-time"}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime.combine(value, time.min)
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise self.make_error("invalid") from None
        else:
            raise self.make_error("invalid")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any,
                   **kwargs: Any) -> str | None:
        return value.isoformat() if value is not None else None


class PositiveMoney(Money):
    amount = fields.Integer(required=True, strict=True,
                            validate=validate.Range(min=1, error="must be more than zero"))


class Discount(Schema):
    amount = fields.Nested(NonNegativeMoney, load_default=None, allow_none=True)
    percent_bps = fields.Integer(strict=True, load_default=None, allow_none=True,
                                 validate=validate.Range(min=1, max=10000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def one_way(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("amount") is None) == (data.get("percent_bps") is None):
            raise ValidationError("give either amount or percent_bps", "amount")


class GiftCardLine(Schema):
    amount = fields.Nested(PositiveMoney, required=True)


class SaleLineInput(Schema):
    """One of: ``{item_id}``, ``{work_order_id}``, ``{description, amount}``
    (a free line), ``{gift_card: {amount}}`` (sell a new gift card)."""

    item_id = fields.UUID(load_default=None, allow_none=True)
    work_order_id = fields.UUID(load_default=None, allow_none=True)
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(min=1, max=500))
    amount = fields.Nested(PositiveMoney, load_default=None, allow_none=True)
    gift_card = fields.Nested(GiftCardLine, load_default=None, allow_none=True)
    discount = fields.Nested(Discount, load_default=None, allow_none=True)
    taxable = fields.Boolean(load_default=None, allow_none=True)

    @validates_schema
    def one_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        kinds = [k for k in ("item_id", "work_order_id", "gift_card") if data.get(k)]
        free = data.get("amount") is not None
        if free and not data.get("description") and not kinds:
            raise ValidationError("a free line needs a description", "description")
        if len(kinds) + (1 if free and not kinds else 0) != 1 or (free and kinds):
            raise ValidationError(
                "a line is one of {item_id}, {work_order_id}, {description, amount} or {gift_card}",
                "_schema")
        if data.get("gift_card") and data.get("discount"):
            raise ValidationError("a gift card is not discounted", "discount")


FX_RATE_IS_HQS = ("the exchange rate is HQ's, not the counter's: a card in another currency "
                  "is charged at the rate HQ recorded (POST /fx-rates); send the currency only")


def foreign_currencies(tenders: Any) -> set[str]:
    """The currencies, other than the amount's (the store's), that tenders of
    a request (as sent) ask a card to be charged in."""
    out: set[str] = set()
    for t in tenders if isinstance(tenders, list) else []:
        if not isinstance(t, Mapping):
            continue
        amount = t.get("amount")
        currency = t.get("currency")
        if (isinstance(currency, str) and isinstance(amount, Mapping)
                and currency != amount.get("currency")):
            out.add(currency)
    return out


class TenderInput(Schema):
    """A tender. ``currency``: charge a card in another currency than the
    store's, at the exchange rate HQ recorded; ``fx_rate`` is refused (the
    rate is never the counter's to set)."""

    method = fields.String(required=True, validate=validate.OneOf(TENDER_METHODS))
    amount = fields.Nested(PositiveMoney, required=True)        # in the store's currency
    payment_method = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Regexp(r"^(pm|card|src)_[A-Za-z0-9_]+$",
                                                            error="a Stripe payment method id"))
    reader_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "a card taken on this store's reader (GET /terminal/readers) instead of "
                       "a payment_method: the sale waits (202) for the cardholder's tap"})
    currency = fields.String(load_default=None, allow_none=True, validate=CURRENCY)
    fx_rate = fields.Decimal(load_default=None, allow_none=True, as_string=True,
                             validate=validate.Range(min=0, min_inclusive=False))
    received = fields.Nested(PositiveMoney, load_default=None, allow_none=True)
    gift_card_code = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(min=4, max=32))
    points = fields.Integer(strict=True, load_default=None, allow_none=True,
                            validate=validate.Range(min=1))

    @validates_schema
    def by_method(self, data: dict[str, Any], **kwargs: Any) -> None:
        method = data.get("method")
        if method == "card" and not (data.get("payment_method") or data.get("reader_id")):
            raise ValidationError("a card tender needs its payment_method (or a reader_id)",
                                  "payment_method")
        if data.get("reader_id") and (method != "card" or data.get("payment_method")):
            raise ValidationError("a reader takes a card tender without a payment_method",
                                  "reader_id")
        if method == "gift_card" and not data.get("gift_card_code"):
            raise ValidationError("a gift card tender needs the card's code", "gift_card_code")
        if data.get("fx_rate") is not None:
            raise ValidationError(FX_RATE_IS_HQS, "fx_rate")
        amount = data.get("amount")
        foreign = data.get("currency") and amount and data["currency"] != amount["currency"]
        if method != "card" and foreign:
            raise ValidationError("only a card may be charged in another currency", "currency")
        received = data.get("received")
        if received is not None:
            if method != "cash":
                raise ValidationError("only cash is handed over with change", "received")
            if amount and received["currency"] != amount["currency"]:
                raise ValidationError("must be in the tender's currency", "received")
            if amount and received["amount"] < amount["amount"]:
                raise ValidationError("less than the amount it pays", "received")


class SaleRequest(Schema):
    store_id = fields.UUID(required=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    associate_id = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=64))
    register = fields.String(load_default="main", validate=validate.Length(min=1, max=40))
    tax_exempt = fields.Boolean(load_default=False)
    tax_exempt_id = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(min=1, max=64))
    lines = fields.List(fields.Nested(SaleLineInput), required=True,
                        validate=validate.Length(min=1, max=200))
    tenders = fields.List(fields.Nested(TenderInput), load_default=list,
                          validate=validate.Length(max=20))

    @validates_schema
    def exemption(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("tax_exempt") and not data.get("tax_exempt_id"):
            raise ValidationError("a tax-exempt sale needs the exemption certificate id",
                                  "tax_exempt_id")


class LocationAddress(Schema):
    line1 = fields.String(required=True, validate=validate.Length(min=1, max=200))
    line2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    city = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    state = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    postal_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=20))
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))


class ReaderRegistration(Schema):
    """``POST /terminal/readers`` (a store manager): the code the reader shows
    and a label for the counter. ``location_address``: the store's address
    for its Terminal location, made with its first reader (else the store's
    own address)."""

    store_id = fields.UUID(required=True)
    registration_code = fields.String(required=True, validate=validate.Length(min=3, max=100))
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    location_address = fields.Nested(LocationAddress, load_default=None, allow_none=True)


class ReaderQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)


class ReturnRequest(Schema):
    item_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=200))
    refund_method = fields.String(load_default="original", validate=validate.OneOf(REFUND_METHODS))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class LayawayRequest(Schema):
    store_id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    item_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=50))
    deposit = fields.Nested(TenderInput, required=True)
    installments = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=52))
    interval_days = fields.Integer(strict=True, load_default=30, validate=validate.Range(min=1, max=92))
    register = fields.String(load_default="main", validate=validate.Length(min=1, max=40))
    tax_exempt = fields.Boolean(load_default=False)
    tax_exempt_id = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(min=1, max=64))

    @validates_schema
    def exemption(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("tax_exempt") and not data.get("tax_exempt_id"):
            raise ValidationError("a tax-exempt layaway needs the exemption certificate id",
                                  "tax_exempt_id")


class PaymentRequest(Schema):
    """``POST /layaways/{id}/payments`` and ``POST /work-orders/{id}/deposits``."""

    tender = fields.Nested(TenderInput, required=True)
    register = fields.String(load_default="main", validate=validate.Length(min=1, max=40))


class LayawayCancel(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    refund_method = fields.String(load_default=None, allow_none=True,
                                  validate=validate.OneOf(("store_credit", "refund")))


class DrawerOpen(Schema):
    store_id = fields.UUID(required=True)
    register = fields.String(load_default="main", validate=validate.Length(min=1, max=40))
    float = fields.Nested(NonNegativeMoney, required=True)


class DrawerMovementInput(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("cash_in", "cash_out")))
    amount = fields.Nested(PositiveMoney, required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DrawerClose(Schema):
    counted = fields.Nested(NonNegativeMoney, required=True)


class DrawerQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)
    date = fields.Date(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("open", "closed")))


LAYAWAY_STATUSES = ("pending", "active", "completed", "cancelled", "failed")


class LayawayQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(LAYAWAY_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


class SalesQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    receipt_number = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(min=1, max=40), metadata={
        "description": "the receipt's number as printed (NYC-000123): the sale a return starts from"})
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("pending", "completed", "failed")))
    since = Instant(load_default=None, allow_none=True)
    until = Instant(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


class ReportQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)
    since = Instant(load_default=None, allow_none=True)
    until = Instant(load_default=None, allow_none=True)
    group_by = fields.String(load_default="day", validate=validate.OneOf(GROUP_BY))

    @validates_schema
    def ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError("must be after since", "until")


class CashReportQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)
    client_id = fields.UUID(load_default=None, allow_none=True)
    since = Instant(load_default=None, allow_none=True)
    until = Instant(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("open", "filed")))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


__all__ = ["CASH_LIKE", "CURRENCY", "FX_RATE_IS_HQS", "foreign_currencies", "sale_http_status", "payment_http_status",
           "layaway_http_status"]


class ReceiptQuery(Schema):
    """How a receipt is printed (docs/API.md#receipts-and-labels)."""

    language = fields.String(load_default=None, allow_none=True,
                             validate=validate.Regexp(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$"),
                             metadata={"description": "the client's language (es, fr-CA...): the "
                                                      "receipt's words in it where they exist, "
                                                      "else in the store's, else English"})
    width = fields.Integer(load_default=42, validate=validate.OneOf((42, 48)), metadata={
        "description": "ESC/POS only: the printer's columns (80 mm paper, font A)"})
    kick = fields.Boolean(load_default=False, metadata={
        "description": "ESC/POS only: open the cash drawer (ESC p 0 25 250) before printing"})
