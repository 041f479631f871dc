"""Integers from a caller stay within what the database columns (and the sums
made of them) can hold: ``chassis.validation`` refuses the rest as a 422 that
names the field, whoever calls."""
import pytest
from marshmallow import Schema, fields

from chassis.errors import InvalidInput
from chassis.validation import SAFE_INT, int_arg, load


class Money(Schema):
    amount = fields.Integer(required=True, strict=True)
    currency = fields.String(required=True)


class Line(Schema):
    price = fields.Nested(Money, required=True)
    quantity = fields.Integer(load_default=1)


class Order(Schema):
    lines = fields.List(fields.Nested(Line), required=True)
    min_price = fields.Integer(load_default=None, allow_none=True)
    extra = fields.Dict(load_default=dict)


def order(amount=100, **over):
    body = {"lines": [{"price": {"amount": 5, "currency": "USD"}},
                      {"price": {"amount": amount, "currency": "USD"}}]}
    body.update(over)
    return body


@pytest.mark.parametrize("body,field", [
    (order(2 ** 63), "lines.1.price.amount"),
    (order(-(2 ** 63) - 1), "lines.1.price.amount"),
    (order(SAFE_INT + 1), "lines.1.price.amount"),          # fits BIGINT, but a sum of two does not
    (order(min_price="99999999999999999999999"), "min_price"),   # a query parameter's string
    (order(extra={"deep": [1, 2 ** 64]}), "extra.deep.1"),
])
def test_an_integer_past_the_safe_range_is_a_422_naming_the_field(body, field):
    with pytest.raises(InvalidInput) as refused:
        load(Order(), body)
    assert refused.value.errors == {field: [f"must be between {-SAFE_INT} and {SAFE_INT}"]}


def test_integers_within_the_range_and_booleans_pass():
    loaded = load(Order(), order(SAFE_INT, min_price=-SAFE_INT, extra={"flag": True}))
    assert loaded["lines"][1]["price"]["amount"] == SAFE_INT
    assert loaded["min_price"] == -SAFE_INT and loaded["extra"] == {"flag": True}


def test_many_is_checked_item_by_item():
    with pytest.raises(InvalidInput) as refused:
        load(Money(), [{"amount": 1, "currency": "USD"}, {"amount": 2 ** 63, "currency": "USD"}],
             many=True)
    assert list(refused.value.errors) == ["1.amount"]


@pytest.mark.parametrize("value,expected", [(1, 1), ("200", 200), (" 7 ", 7)])
def test_an_integer_argument_within_its_bounds_is_read(value, expected):
    assert int_arg(value, "limit", 1, 200) == expected


@pytest.mark.parametrize("value,message", [
    (0, "must be between 1 and 200"), (201, "must be between 1 and 200"),
    (2 ** 63, "must be between 1 and 200"), ("99999999999999999999999", "must be between 1 and 200"),
    ("ten", "not a whole number"), (None, "not a whole number"), (1.5, "not a whole number"),
    (True, "not a whole number"), ([1], "not a whole number"),
])
def test_an_integer_argument_out_of_bounds_or_not_whole_is_a_422(value, message):
    with pytest.raises(InvalidInput) as refused:
        int_arg(value, "limit", 1, 200)
    assert refused.value.errors == {"limit": [message]}


def test_an_integer_argument_is_bounded_by_the_safe_range_by_default():
    assert int_arg(-SAFE_INT, "n") == -SAFE_INT
    with pytest.raises(InvalidInput):
        int_arg(2 ** 63, "n")
