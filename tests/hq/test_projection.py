"""The projection rules on the reporting test database, without nameko:
exact figures, any delivery order, the same events twice, and the pure
currency rules."""
import random
from datetime import timedelta
from decimal import Decimal

import pytest

from services.reporting import exports, pieces, projections, rates, summary as summaries, turnover
from services.reporting.models import HqFxRate

from .conftest import LON, NYC, T0, Chain, gbp, new_id, scripted_day, usd

AT = T0 + timedelta(hours=3)   # later that day in both stores


def figures(report):
    """A summary without the parts that say when it was made."""
    drop = ("generated_at", "as_of", "lag_seconds", "last_applied_at", "events_applied")
    return {k: v for k, v in report.items() if k not in drop}


def summary(model, at=AT):
    with model.session() as session, session.begin():
        return summaries.summary(session, at)


def add_rate(model, currency, rate, at=T0 - timedelta(days=1)):
    with model.session() as session, session.begin():
        session.add(HqFxRate(currency=currency, reporting_currency="USD", rate=Decimal(rate),
                             effective_at=at, created_by="test"))


def by_code(report):
    return {s["code"]: s for s in report["stores"]}


def test_a_scripted_day_gives_exact_figures_per_store_and_chain(model):
    chain, expect, refs = scripted_day()
    add_rate(model, "GBP", "1.25")
    model.apply(chain.events)
    report = summary(model)
    stores = by_code(report)
    nyc, lon = stores["NYC"], stores["LON"]

    e = expect["NYC"]
    assert nyc["currency"] == "USD"
    assert nyc["stock"]["owned"] == {"pieces": 2, "cost": usd(140_000), "retail": usd(350_000)}
    assert nyc["stock"]["memo_in"] == {"pieces": 1, "cost": usd(500_000), "retail": usd(900_000)}
    assert nyc["stock"]["value"] == {"cost": usd(140_000), "retail": usd(350_000)}   # memo is not ours
    assert nyc["stock"]["pieces"] == 3
    sales = nyc["sales_today"]
    assert sales["date"] == "2031-03-03"
    assert (sales["sales"], sales["pieces"], sales["returns"]) == (e["sales"], e["pieces"], 1)
    assert (sales["revenue"], sales["cost"], sales["margin"]) == (
        usd(345_000), usd(140_000), usd(190_000))
    assert sales["returned"] == usd(90_000) and sales["net_revenue"] == usd(255_000)
    assert sales["net_margin"] == usd(140_000)          # the necklace's 50k margin came back
    assert nyc["work_orders"] == {"open": 2, "overdue": 1}
    assert nyc["clients"] == {"new": 1, "loyal": 0, "vip": 1}

    # London reports in pounds: its own bracelet, and a USD ring transferred in (1 GBP = 1.25 USD)
    assert lon["currency"] == "GBP"
    assert lon["stock"]["owned"] == {"pieces": 2, "cost": gbp(160_000), "retail": gbp(400_000)}
    assert lon["sales_today"]["revenue"] == gbp(190_000)
    assert lon["sales_today"]["margin"] == gbp(110_000)
    assert lon["work_orders"] == {"open": 1, "overdue": 0}
    assert lon["clients"] == {"new": 0, "loyal": 1, "vip": 0}       # the duplicate was merged

    # the chain in the reporting currency, with the rate it used
    c = report["chain"]
    assert report["reporting_currency"] == "USD" and c["currency"] == "USD"
    assert [r["currency"] for r in report["rates"]] == ["GBP"] and report["rates"][0]["rate"] == "1.25"
    assert report["rates_missing"] == []
    assert c["stores"] == 2
    assert c["stock"]["owned"] == {"pieces": 4, "cost": usd(340_000), "retail": usd(850_000)}
    assert c["stock"]["memo_in"]["pieces"] == 1
    assert (c["sales_today"]["sales"], c["sales_today"]["revenue"], c["sales_today"]["cost"],
            c["sales_today"]["margin"]) == (3, usd(582_500), usd(240_000), usd(327_500))
    assert c["work_orders"] == {"open": 3, "overdue": 1}
    assert c["clients"] == {"new": 1, "loyal": 1, "vip": 1}
    assert report["as_of"] == chain.events[-1]["occurred_at"]


def test_without_a_rate_the_rollup_says_which_currency_is_missing(model):
    chain, _, _ = scripted_day()
    model.apply(chain.events)
    report = summary(model)
    assert report["rates_missing"] == ["GBP"] and report["rates"] == []
    assert report["chain"]["stock"]["owned"]["cost"] == usd(240_000)   # the USD pieces only
    assert by_code(report)["LON"]["stock"]["owned"]["cost"] == gbp(80_000)


def test_any_delivery_order_converges_to_the_same_figures(model):
    chain, _, _ = scripted_day()
    add_rate(model, "GBP", "1.25")
    model.apply(chain.events)
    in_order = figures(summary(model))
    totals = model.all("select * from hq_stock_totals order by 1, 2, 3")
    rng = random.Random(8300)
    for _ in range(3):
        model.reset()
        shuffled = list(chain.events)
        rng.shuffle(shuffled)
        model.apply(shuffled)
        assert figures(summary(model)) == in_order
        assert model.all("select * from hq_stock_totals order by 1, 2, 3") == totals


def test_the_same_events_twice_give_the_same_totals_even_without_the_inbox(model):
    chain, _, _ = scripted_day()
    add_rate(model, "GBP", "1.25")
    model.apply(chain.events)
    once = figures(summary(model))
    model.apply(chain.events)            # redelivered, and not stopped by an inbox
    assert figures(summary(model)) == once
    # totals always equal the rows they sum
    before = model.all("select * from hq_stock_totals order by 1, 2, 3")
    with model.session() as session, session.begin():
        pieces.recount_stock(session)
    assert model.all("select * from hq_stock_totals order by 1, 2, 3") == before


def test_a_sale_before_its_piece_is_known_and_a_count_marking_pieces_missing(model):
    c = Chain()
    item = new_id()
    sold = c.add("item.sold", item_id=item, store_id=NYC, sale_id=new_id(), price=usd(5_000),
                 cost=usd(2_000), ownership="owned")
    model.apply([sold])
    assert summary(model)["chain"]["stock"]["owned"]["pieces"] == 0
    received = c.add("item.received", item_id=item, tag="LATE0001", store_id=NYC, category="ring",
                     description="late", ownership="owned", cost=usd(2_000), price=usd(5_000))
    received["occurred_at"] = (T0 - timedelta(hours=1)).isoformat()   # it happened first
    model.apply([received])
    assert summary(model)["chain"]["stock"]["owned"]["pieces"] == 0   # still sold
    kept = c.receive(NYC, 1_000, 3_000)
    lost = c.receive(NYC, 7_000, 9_000)
    model.apply(c.events[-2:])
    tag = model.scalar("select tag from hq_pieces where item_id = :i", i=lost)
    c.add("stock_count.closed", count_id=new_id(), store_id=NYC, matched=1, missing=[tag],
          unexpected=[], shrinkage=None)                   # counted, nothing marked
    c.add("stock_count.closed", count_id=new_id(), store_id=NYC, matched=1, missing=[tag],
          unexpected=[], shrinkage=usd(7_000))             # counted with mark_missing
    model.apply(c.events[-2:-1])
    assert model.scalar("select status from hq_pieces where item_id = :i", i=lost) == "in_stock"
    model.apply(c.events[-1:])
    assert model.scalar("select status from hq_pieces where item_id = :i", i=lost) == "missing"
    assert model.scalar("select status from hq_pieces where item_id = :i", i=kept) == "in_stock"
    # a missing piece is still the store's stock value (inventory's rule) until found or written off
    assert summary(model)["chain"]["stock"]["owned"]["pieces"] == 2


def test_memos_move_pieces_out_and_back_and_vendor_goods_leave_the_books(model):
    c = Chain()
    lent = c.receive(NYC, 2_000, 5_000)
    vendors = c.receive(NYC, 10_000, 20_000, ownership="memo_in")
    model.apply(c.events)
    memo_out, memo_in = new_id(), new_id()
    c.add("memo.opened", memo_id=memo_out, store_id=NYC, direction="out", counterparty="Estate show",
          item_ids=[lent], due_date="2031-03-10")
    c.add("memo.opened", memo_id=memo_in, store_id=NYC, direction="in", counterparty="Vendor",
          item_ids=[vendors], due_date="2031-03-10")
    model.apply(c.events[-2:])
    status = "select status from hq_pieces where item_id = :i"
    assert model.scalar(status, i=lent) == "on_memo_out"
    assert model.scalar(status, i=vendors) == "in_stock"
    stock = by_code(summary(model))["NYC"]["stock"]
    assert stock["owned"]["pieces"] == 1 and stock["memo_in"]["pieces"] == 1   # lent out is still ours
    c.add("memo.closed", memo_id=memo_out, store_id=NYC, direction="out", back_in_stock=[lent],
          returned_to_vendor=[])
    c.add("memo.closed", memo_id=memo_in, store_id=NYC, direction="in", back_in_stock=[],
          returned_to_vendor=[vendors])
    model.apply(c.events[-2:])
    model.apply(c.events[-2:])                              # delivered twice: no second effect
    assert model.scalar(status, i=lent) == "in_stock"
    assert model.scalar(status, i=vendors) == "returned_to_vendor"
    stock = by_code(summary(model))["NYC"]["stock"]
    assert stock["owned"] == {"pieces": 1, "cost": usd(2_000), "retail": usd(5_000)}
    assert stock["memo_in"]["pieces"] == 0


def test_an_overdue_memo_is_a_line_on_hqs_screen_until_it_is_settled(model):
    c = Chain()
    lent = [c.receive(NYC, 2_000, 5_000) for _ in range(3)]
    model.apply(c.events)
    memo, early = new_id(), new_id()
    c.add("memo.opened", memo_id=memo, store_id=NYC, direction="out", counterparty="Estate show",
          item_ids=lent, due_date="2026-11-20")
    c.add("memo.overdue", memo_id=memo, store_id=NYC, direction="out", counterparty="Estate show",
          item_ids=lent, due_date="2026-11-20")
    c.add("memo.overdue", memo_id=memo, store_id=NYC, direction="out", counterparty="Estate show",
          item_ids=lent, due_date="2026-11-20")            # the next day's notice: still one memo
    model.apply(c.events[-3:])
    report = summary(model)
    assert by_code(report)["NYC"]["memos_overdue"] == {"memos": 1, "pieces": 3}
    assert by_code(report)["LON"]["memos_overdue"] == {"memos": 0, "pieces": 0}
    assert report["chain"]["memos_overdue"] == {"memos": 1, "pieces": 3}
    # settled: off the list; a notice that comes after the settlement never brings it back
    c.add("memo.closed", memo_id=memo, store_id=NYC, direction="out", back_in_stock=lent,
          returned_to_vendor=[])
    c.add("memo.closed", memo_id=early, store_id=NYC, direction="in", back_in_stock=[],
          returned_to_vendor=[])
    c.add("memo.overdue", memo_id=early, store_id=NYC, direction="in", counterparty="Vendor",
          item_ids=[], due_date="2026-11-01")
    model.apply(c.events[-3:])
    assert summary(model)["chain"]["memos_overdue"] == {"memos": 0, "pieces": 0}
    assert model.scalar("select status from hq_pieces where item_id = :i", i=lent[0]) == "in_stock"


def test_a_period_report_of_turnover_gmroi_and_aging(model):
    c = Chain(T0 - timedelta(days=200), step=timedelta(days=1))
    c.receive(NYC, 100_000, 200_000)                        # received 200 days before T0
    c.at = T0 - timedelta(days=10)
    fresh = [c.receive(NYC, 50_000, 120_000, category="pendant") for _ in range(2)]
    c.at = T0 - timedelta(days=5)
    c.sell(NYC, [(fresh[0], 110_000, 50_000, "pendant", "gold")])
    model.apply(c.events)
    identity = type("I", (), {"chain_wide": True, "store_ids": (), "can_see_store": lambda s, x: True})()
    with model.session() as session, session.begin():
        report = turnover.turnover_report(session, identity, {
            "since": T0 - timedelta(days=30), "until": T0}, at=T0)
    (nyc,) = report["stores"]
    # opening: the old ring (100k); closing: the ring and one pendant (150k); average 125k
    assert nyc["opening_inventory"] == usd(100_000) and nyc["closing_inventory"] == usd(150_000)
    assert nyc["cogs"] == usd(50_000) and nyc["gross_margin"] == usd(60_000)
    assert (nyc["turnover"], nyc["gmroi"]) == ("0.40", "0.48")
    assert nyc["aging"]["0-90"] == {"pieces": 1, "cost": usd(50_000)}
    assert nyc["aging"]["181-365"] == {"pieces": 1, "cost": usd(100_000)}
    pendant = next(x for x in nyc["categories"] if x["category"] == "pendant")
    assert pendant["cogs"] == usd(50_000) and pendant["turnover"] == "2.00"   # 50k / (0 + 50k) / 2


@pytest.mark.parametrize("amount, source, target, rate, expected", [
    (100_000, "GBP", "USD", "1.25", 125_000),
    (125_000, "USD", "GBP", "1.25", 100_000),
    (10_000, "USD", "JPY", "0.0066", 15_152),     # JPY has no minor unit: 100 USD = 15,151.5 -> 15,152
    (1_000, "KWD", "USD", "3.25", 325),           # KWD has three: 1.000 KWD = 3.25 USD
    (5, "GBP", "USD", "1.3", 6),                  # 6.5 cents rounds half to even
])
def test_conversion_between_minor_units(amount, source, target, rate, expected):
    known = rates.Rates("USD", {c: (Decimal(r), T0) for c, r in (
        (source, rate), (target, rate)) if c != "USD"})
    assert known.convert(amount, source, target) == expected


def test_csv_has_money_in_major_units_and_no_formulas():
    body = exports.to_csv([{"name": "=HYPERLINK(1)", "total": usd(-123_456)},
                              {"name": "Bond Street", "total": {"amount": 5, "currency": "JPY"}}])
    lines = body.splitlines()
    assert lines[0] == "name,total,currency"
    assert lines[1] == "'=HYPERLINK(1),-1234.56,USD"
    assert lines[2] == "Bond Street,5,JPY"


def test_the_table_of_projections_is_what_reporting_handles_and_the_gateway_not():
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    from chassis.events import EventHandler
    from gateway.service import Service as Gateway
    from services.reporting.service import Service as Reporting

    def handled(cls):
        return {(name, e.source_service, e.event_type)
                for name in dir(cls)
                for e in getattr(getattr(cls, name), ENTRYPOINT_EXTENSIONS_ATTR, ())
                if isinstance(e, EventHandler)}

    table = {(projections.handler_name(t), p, t) for p, t in projections.PROJECTIONS}
    assert handled(Reporting) == table
    assert len(table) == len(projections.PROJECTIONS) == 23      # one handler per entry
    assert ("store_created", "gateway", "store.created") in table
    assert handled(Gateway) == set()                              # HTTP only
    for p, t in projections.PROJECTIONS:
        if (p, t) not in projections.COPIES:
            assert getattr(Reporting, projections.handler_name(t)).__doc__.startswith("Apply")


def test_transfer_requests_page_newest_first_and_follow_their_transfer(model):
    from chassis.identity import Identity
    from services.reporting import transfer_requests as hq_requests

    c = Chain()
    pieces = [c.receive(NYC, 1_000, 2_000) for _ in range(3)]
    model.apply(c.events)
    london = Identity(user_id="u-lon", role="sales_associate", store_ids=(LON,), store_id=LON)
    made = []
    for item_id in pieces:
        with model.session() as session, session.begin():
            made.append(hq_requests.request_transfer(session, london, {"item_id": item_id})["id"])
    seen, cursor = [], None
    while True:
        with model.session() as session, session.begin():
            page = hq_requests.list_transfer_requests(session, london, {"limit": 2, "cursor": cursor})
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made[::-1]
    shipped = c.add("transfer.shipped", transfer_id=new_id(), from_store_id=NYC, to_store_id=LON,
                    item_ids=pieces[:1])
    model.apply([shipped])
    with model.session() as session, session.begin():
        page = hq_requests.list_transfer_requests(session, london, {"limit": 50, "status": "shipped"})
    assert [r["item_id"] for r in page["items"]] == pieces[:1]
    assert page["items"][0]["piece"]["price"] == usd(2_000) and "cost" not in page["items"][0]["piece"]
