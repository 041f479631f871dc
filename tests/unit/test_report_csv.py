"""HQ's reports as CSV: each amount in the major units of its own currency,
as an accountant's spreadsheet reads it (ISO 4217 decimals, a plain point,
no grouping), with its currency beside it."""
import csv
import io

import pytest

from services.reporting.exports import to_csv


@pytest.mark.parametrize("amount, currency, cell", [
    (15000000, "JPY", "15000000"),
    (1234567, "KRW", "1234567"),
    (1500, "KWD", "1.500"),
    (12345, "BHD", "12.345"),
    (1000000, "HUF", "10000.00"),
    (150050, "EUR", "1500.50"),
    (5, "USD", "0.05"),
    (-250, "USD", "-2.50"),
])
def test_a_report_row_prints_money_in_its_currencys_major_units(amount, currency, cell):
    report = [{"store": "NYC", "sales": 3, "net": {"amount": amount, "currency": currency},
               "stock": {"owned": {"cost": {"amount": amount, "currency": currency}}}}]
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert rows == [["store", "sales", "net", "currency", "stock_owned_cost"],
                    ["NYC", "3", cell, currency, cell]]


def test_a_cell_a_spreadsheet_would_run_is_quoted_but_a_negative_amount_is_not():
    rows = list(csv.reader(io.StringIO(to_csv([{"name": "=HYPERLINK(1)", "n": "-12.5"}]))))
    assert rows[1] == ["'=HYPERLINK(1)", "-12.5"]
