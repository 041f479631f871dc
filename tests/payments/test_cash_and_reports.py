"""Form 8300 cases from real sales, cash drawers with over/short, sales
reports and commissions, receipts."""
import base64

import pytest

from chassis.clock import local_day, now
from chassis.errors import Conflict, Forbidden

from .conftest import (
    ASSOCIATE_A,
    ASSOCIATE_B,
    AUDITOR,
    CLIENT,
    HQ,
    MANAGER_A,
    OTHER_CLIENT,
    STORE_A,
    STORE_B,
    STORE_GB,
    cash,
    usd,
)


def free_sale(store_id, amount, tenders, client_id=CLIENT, currency="USD"):
    return {"store_id": store_id, "client_id": client_id,
            "lines": [{"description": "Estate brooch", "amount": usd(amount, currency),
                       "taxable": False}], "tenders": tenders}


def test_related_cash_sales_above_ten_thousand_open_a_form_8300_case(platform, db, as_):
    a_terminal, b_terminal = as_(ASSOCIATE_A).payments, as_(ASSOCIATE_B).payments
    first = a_terminal.create_sale(free_sale(STORE_A, 600000, [cash(600000)]))
    assert db.events("compliance.cash_reportable") == []
    a_terminal.create_sale(free_sale(STORE_A, 500000, [cash(500000)], client_id=OTHER_CLIENT))
    second = b_terminal.create_sale(free_sale(STORE_B, 400001, [
        {"method": "money_order", "amount": usd(400001)}]))

    events = db.events("compliance.cash_reportable")
    assert len(events) == 1
    case = events[0]
    assert case["client_id"] == CLIENT and case["total_cash"] == usd(1000001)
    assert sorted(case["sale_ids"]) == sorted([first["id"], second["id"]])
    assert case["store_id"] == STORE_B and not case["structuring_suspected"]
    listed = as_(HQ).payments.cash_reports()["items"]
    assert [c["id"] for c in listed] == [case["case_id"]]
    assert listed[0]["due_date"] == case["due_date"]
    csv = as_(AUDITOR).payments.cash_reports_csv()
    assert csv["body"].count("\r\n") == 2 and "10000.01" in csv["body"]
    assert as_(MANAGER_A).payments.cash_reports()["items"] == []    # the case is store B's
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).payments.cash_reports()


def test_cash_just_under_the_threshold_twice_is_flagged_and_other_currencies_are_not_counted(
        platform, db, as_):
    terminal = as_(ASSOCIATE_A).payments
    terminal.create_sale(free_sale(STORE_A, 950000, [cash(950000)]))
    terminal.create_sale(free_sale(STORE_A, 990000, [cash(990000)]))
    as_(HQ).payments.create_sale(free_sale(STORE_GB, 2000000, [cash(2000000, "GBP")],
                                           currency="GBP"))
    events = db.events("compliance.cash_reportable")
    assert len(events) == 1 and events[0]["structuring_suspected"]


def test_a_drawer_counts_its_cash_and_shows_over_or_short(platform, db, as_):
    terminal = as_(ASSOCIATE_A).payments
    drawer = terminal.open_drawer({"store_id": STORE_A, "float": usd(20000)})
    with pytest.raises(Conflict):
        terminal.open_drawer({"store_id": STORE_A, "float": usd(20000)})
    sale = terminal.create_sale({"store_id": STORE_A, "lines": [
        {"description": "Watch battery", "amount": usd(1000)}],
        "tenders": [cash(1089, received=usd(2000))]})
    assert sale["change_due"] == usd(911)
    terminal.drawer_movement(drawer["id"], {"kind": "cash_out", "amount": usd(5000),
                                            "reason": "bank deposit"})
    terminal.drawer_movement(drawer["id"], {"kind": "cash_in", "amount": usd(300),
                                            "reason": "change from the bank"})
    closed = as_(MANAGER_A).payments.close_drawer(drawer["id"], {"counted": usd(16000)})
    assert closed["cash_sales"] == usd(1089) and closed["expected"] == usd(16389)
    assert closed["over_short"] == usd(-389)
    today = local_day(now(), "America/New_York").isoformat()
    report = as_(MANAGER_A).payments.list_drawers({"store_id": STORE_A, "date": today})
    assert report["days"] == [{"store_id": STORE_A, "business_date": today,
                               "over_short": usd(-389), "drawers": 1}]
    with pytest.raises(Conflict):
        terminal.drawer_movement(drawer["id"], {"kind": "cash_in", "amount": usd(1), "reason": "x"})


def test_commissions_per_associate_less_returns(platform, db, as_, receive):
    a, b = receive(2, price=100000)
    as_(ASSOCIATE_A).payments.create_sale({"store_id": STORE_A, "client_id": CLIENT,
                                           "lines": [{"item_id": a}], "tenders": [cash(108870)]})
    as_(MANAGER_A).payments.create_sale({"store_id": STORE_A, "lines": [{"item_id": b}],
                                         "tenders": [cash(108870)]})
    as_(ASSOCIATE_B).payments.create_sale({"store_id": STORE_B, "lines": [
        {"description": "Cleaning", "amount": usd(2000)}], "tenders": [cash(2140)]})
    sale_a = as_(HQ).payments.list_sales({"store_id": STORE_A})["items"]
    returned = next(s for s in sale_a if s["associate_id"] == ASSOCIATE_A.user_id)
    as_(MANAGER_A).payments.create_return(returned["id"], {"item_ids": [a],
                                                           "refund_method": "store_credit"})

    commissions = {r["associate_id"]: r for r in
                   as_(MANAGER_A).payments.commissions_report({"store_id": STORE_A})["rows"]}
    assert commissions[MANAGER_A.user_id]["commission"] == usd(2500)     # 2.5 % of 100,000
    assert commissions[ASSOCIATE_A.user_id]["net_sales"] == usd(0)       # sold, then returned
    with pytest.raises(Forbidden):
        as_(ASSOCIATE_A).payments.commissions_report({})


def test_a_sale_is_found_by_its_receipt_number(platform, as_, receive):
    first, second = receive(2, price=100000)
    sold = [as_(ASSOCIATE_A).payments.create_sale({"store_id": STORE_A, "lines": [{"item_id": i}],
                                                   "tenders": [cash(108870)]}) for i in (first, second)]
    number = sold[1]["receipt_number"]
    found = as_(ASSOCIATE_A).payments.list_sales({"receipt_number": f" {number.lower()} "})["items"]
    assert [s["id"] for s in found] == [sold[1]["id"]]
    # another store's staff do not find it
    assert as_(ASSOCIATE_B).payments.list_sales({"receipt_number": number})["items"] == []


def test_the_receipt_is_html_and_pdf(platform, as_, receive):
    item = receive(1, price=100000)[0]
    sale = as_(ASSOCIATE_A).payments.create_sale({
        "store_id": STORE_A, "lines": [{"item_id": item, "discount": {
            "amount": usd(5000), "reason": "Trade-in <b>bonus</b>"}}],
        "tenders": [cash(103427, received=usd(110000))]})
    html = as_(ASSOCIATE_A).payments.receipt(sale["id"], "html")
    assert html["content_type"].startswith("text/html")
    body = html["body"]
    assert sale["receipt_number"] in body and "$1,034.27" in body and "Change" in body
    assert "&lt;b&gt;bonus&lt;/b&gt;" in body                # the reason is escaped
    pdf = as_(ASSOCIATE_A).payments.receipt(sale["id"], "pdf")
    assert base64.b64decode(pdf["body"]).startswith(b"%PDF")
