"""What reporting's RPCs take is checked again on entry, whoever calls them
(the gateway checks it first, at the edge)."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from chassis.errors import InvalidInput
from services.reporting import queries


def fields_of(call, *args):
    with pytest.raises(InvalidInput) as caught:
        call(*args)
    return set(caught.value.errors)


def test_a_period_is_two_times_in_order_and_a_known_grouping():
    q = queries.period_query({"store_id": "0A000000-0000-4000-8000-00000000000A",
                              "since": "2031-03-01", "until": "2031-03-02T12:00:00+01:00"})
    assert q == {"store_id": "0a000000-0000-4000-8000-00000000000a",
                 "since": datetime(2031, 3, 1, tzinfo=timezone.utc),
                 "until": datetime(2031, 3, 2, 11, tzinfo=timezone.utc), "group_by": "day"}
    assert fields_of(queries.period_query, {"since": "yesterday"}) == {"since"}
    assert fields_of(queries.period_query, {"since": "2031-03-02", "until": "2031-03-01"}) == {"until"}
    assert fields_of(queries.period_query, {"group_by": "weather"}) == {"group_by"}
    assert fields_of(queries.period_query, {"store_id": "NYC"}) == {"store_id"}


def test_a_rate_is_positive_below_the_cap_of_a_three_letter_currency():
    assert queries.fx_rate({"currency": " gbp", "rate": "1.25"}) == {
        "currency": "GBP", "rate": Decimal("1.25"), "effective_at": None}
    for bad, field in (({"currency": "POUND", "rate": "1"}, "currency"),
                       ({"currency": "GBP", "rate": "0"}, "rate"),
                       ({"currency": "GBP", "rate": "-1"}, "rate"),
                       ({"currency": "GBP", "rate": "NaN"}, "rate"),
                       ({"currency": "GBP", "rate": "many"}, "rate"),
                       ({"currency": "GBP", "rate": str(queries.MAX_RATE)}, "rate")):
        assert fields_of(queries.fx_rate, bad) == {field}, bad


def test_transfer_requests_name_a_piece_and_page_politely():
    assert fields_of(queries.transfer_request, {}) == {"item_id"}
    assert fields_of(queries.transfer_request, {"item_id": "x"}) == {"item_id"}
    assert fields_of(queries.transfer_request, {"item_id": "0a000000-0000-4000-8000-00000000000a",
                                                "note": "n" * 501}) == {"note"}
    assert queries.transfer_request_page({})["limit"] == 50
    assert fields_of(queries.transfer_request_page, {"limit": "500"}) == {"limit"}
    assert fields_of(queries.transfer_request_page, {"status": "lost"}) == {"status"}
    assert fields_of(queries.transfer_request_page, {"direction": "up"}) == {"direction"}
