"""A job's tasks priced from the repair price list, worked by hand."""
import pytest

from services.workorders.pricing import ListPrice, balance, letters, needs_estimate, price_tasks, tasks_total

PRICES = {
    "SIZE": ListPrice("SIZE", "Resize", "size", 2500),
    "PRONG": ListPrice("PRONG", "Retip prong", "prong", 1800),
    "ENG": ListPrice("ENG", "Engraving", "letter", 300),
    "OLD": ListPrice("OLD", "Rhodium (retired)", "job", 4000, active=False),
}


def test_list_price_is_active_by_default():
    assert ListPrice("X", "x", "job", 1).active is True


@pytest.mark.parametrize("text, count", [
    ("A B\tC\n", 3), ("J & M 2026", 7), ("", 0), (None, 0), ("   ", 0), ("Ölé", 3),
])
def test_letters(text, count):
    assert letters(text) == count


def priced(code, description, quantity, text, unit_amount, amount):
    return {"code": code, "description": description, "quantity": quantity, "text": text,
            "unit_amount": unit_amount, "amount": amount}


def test_a_list_task_costs_its_unit_price_times_its_quantity():
    tasks = [{"code": "PRONG", "quantity": 4}, {"code": "SIZE"},
             {"code": "SIZE", "quantity": 2, "description": "Size 6 to 8"}]
    assert price_tasks(tasks, PRICES, "USD") == ([
        priced("PRONG", "Retip prong", 4, None, 1800, 7200),
        priced("SIZE", "Resize", 1, None, 2500, 2500),          # no quantity: one
        priced("SIZE", "Size 6 to 8", 2, None, 2500, 5000),
    ], {})


def test_an_engraving_counts_its_letters_unless_told():
    tasks = [{"code": "ENG", "text": "J & M 2026"},
             {"code": "ENG", "text": "ABC", "quantity": 2},
             {"code": "ENG", "quantity": 5}]
    assert price_tasks(tasks, PRICES, "USD") == ([
        priced("ENG", "Engraving", 7, "J & M 2026", 300, 2100),
        priced("ENG", "Engraving", 2, "ABC", 300, 600),
        priced("ENG", "Engraving", 5, None, 300, 1500),
    ], {})


def test_an_engraving_without_letters_is_refused():
    tasks = [{"code": "ENG"}, {"code": "ENG", "text": "   "}, {"code": "SIZE"}]
    result, errors = price_tasks(tasks, PRICES, "USD")
    assert result == [priced("SIZE", "Resize", 1, None, 2500, 2500)]
    assert errors == {
        "tasks.0.text": ["give the text to engrave, or the number of letters"],
        "tasks.1.text": ["give the text to engrave, or the number of letters"],
    }


def test_a_code_not_on_the_list_or_retired_is_refused():
    tasks = [{"code": "SIZE"}, {"code": "NOPE"}, {"code": "OLD", "quantity": 1}]
    result, errors = price_tasks(tasks, PRICES, "JPY")
    assert result == [priced("SIZE", "Resize", 1, None, 2500, 2500)]
    assert errors == {"tasks.1.code": ["not on the repair price list in JPY"],
                      "tasks.2.code": ["not on the repair price list in JPY"]}


def test_a_free_task_costs_what_the_counter_says_or_waits_for_the_estimate():
    tasks = [{"description": "Polish and clean", "price": {"amount": 4000, "currency": "USD"}},
             {"description": "Rebuild the clasp"},
             {"description": "Set two stones", "quantity": 2,
              "price": {"amount": 9000, "currency": "USD"}, "text": "left side"},
             {"description": "Free check", "price": {"amount": 0, "currency": "USD"}}]
    assert price_tasks(tasks, PRICES, "USD") == ([
        priced(None, "Polish and clean", 1, None, None, 4000),
        priced(None, "Rebuild the clasp", 1, None, None, None),     # priced by the estimate
        priced(None, "Set two stones", 2, "left side", None, 9000),
        priced(None, "Free check", 1, None, None, 0),               # free is zero, not unpriced
    ], {})


def test_a_free_task_in_another_currency_is_refused():
    tasks = [{"description": "Polish", "price": {"amount": 4000, "currency": "EUR"}},
             {"description": "Clean", "price": {"amount": 1000, "currency": "USD"}}]
    assert price_tasks(tasks, PRICES, "USD") == (
        [priced(None, "Clean", 1, None, None, 1000)],
        {"tasks.0.price.currency": ["the store works in USD"]})


def test_no_tasks():
    assert price_tasks([], PRICES, "USD") == ([], {})


def test_tasks_total():
    assert tasks_total([{"amount": 100}, {"amount": None}, {"amount": 250}]) == 350
    assert tasks_total([{"amount": 0}, {"amount": None}]) == 0
    assert tasks_total([]) == 0


PRICED = [{"amount": 2500}, {"amount": 0}]
UNPRICED = [{"amount": 2500}, {"amount": None}]


@pytest.mark.parametrize("kind, tasks, asked, result", [
    ("repair", PRICED, None, (False, None)),
    ("custom", PRICED, None, (True, None)),            # custom work is always estimated
    ("repair", [], None, (True, None)),                # nothing priced yet
    ("repair", UNPRICED, None, (True, None)),
    ("repair", UNPRICED, True, (True, None)),
    ("repair", PRICED, True, (True, None)),
    ("custom", PRICED, True, (True, None)),
    ("repair", PRICED, False, (False, None)),
    ("repair", [], False, (False, None)),
    ("repair", UNPRICED, False, (False, "every task needs a price when no estimate is required")),
    ("custom", UNPRICED, False, (False, "every task needs a price when no estimate is required")),
    ("custom", PRICED, False, (False, "custom work is always estimated")),
    ("repair", PRICED, 1, (True, None)),
    ("repair", PRICED, 0, (False, None)),
])
def test_needs_estimate(kind, tasks, asked, result):
    assert needs_estimate(kind, tasks, asked) == result


def test_needs_estimate_asks_nothing_by_default():
    assert needs_estimate("repair", PRICED) == (False, None)
    assert needs_estimate("custom", PRICED) == (True, None)


@pytest.mark.parametrize("total, deposits, paid, due", [
    (10000, 3000, 2000, 5000),
    (10000, 6000, 4000, 0),
    (10000, 6000, 3999, 1),          # one minor unit still due
    (10000, 6000, 4001, 0),          # never below zero
    (10000, 0, 0, 10000),
    (0, 0, 0, 0),
])
def test_balance(total, deposits, paid, due):
    assert balance(total, deposits, paid) == due
