"""HQ over HTTP through the real gateway and reporting service, the read
model fed with events by nameko's standalone dispatcher: the summary, reports, CSV, exchange rates,
each event counted once, and clear errors for bad input and wrong scope."""
import csv
import io
from datetime import datetime, timedelta, timezone

from .conftest import LON, NYC, gbp, scripted_day, usd


def today_chain():
    """The scripted day happening now (events 10 ms apart)."""
    return scripted_day(datetime.now(timezone.utc) - timedelta(seconds=2),
                        step=timedelta(milliseconds=10))


def rows(reply):
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(reply.text)))


def stable(summary):
    return {k: v for k, v in summary.items()
            if k not in ("generated_at", "lag_seconds", "last_applied_at")}


def test_the_chain_on_one_screen_fed_by_events(hq):
    assert hq.post("/fx-rates", {"currency": "gbp", "rate": "1.25"}).status_code == 201
    chain, expect, _ = today_chain()
    hq.feed(chain.events)

    reply = hq.get("/hq/summary")
    assert reply.status_code == 200, reply.text
    s = reply.json()
    assert s["as_of"] == chain.events[-1]["occurred_at"] and s["lag_seconds"] >= 0
    assert s["events_applied"] == len(chain.events)
    stores = {x["code"]: x for x in s["stores"]}
    nyc, lon = stores["NYC"], stores["LON"]
    assert nyc["store_id"] == NYC and nyc["stock"]["value"] == {"cost": usd(140_000),
                                                               "retail": usd(350_000)}
    assert nyc["sales_today"]["revenue"] == usd(345_000)
    assert nyc["work_orders"] == {"open": 2, "overdue": 1}
    assert lon["store_id"] == LON and lon["stock"]["owned"]["cost"] == gbp(160_000)
    assert s["rates"][0]["currency"] == "GBP" and s["rates"][0]["rate"] == "1.25"
    assert s["chain"]["stock"]["owned"] == {"pieces": 4, "cost": usd(340_000), "retail": usd(850_000)}
    assert s["chain"]["sales_today"]["revenue"] == usd(582_500)
    assert s["chain"]["clients"] == expect["NYC"]["clients"] | {"loyal": 1}

    table = rows(hq.get("/hq/summary.csv"))
    assert [r["code"] for r in table] == ["LON", "NYC", ""]
    assert table[-1]["scope"] == "chain" and table[-1]["currency"] == "USD"
    assert table[-1]["stock_owned_cost"] == "3400.00"
    assert table[0]["currency"] == "GBP" and table[0]["stock_owned_cost"] == "1600.00"


def test_each_event_counts_once(hq):
    hq.post("/fx-rates", {"currency": "GBP", "rate": "1.25"})
    chain, _, _ = today_chain()
    hq.feed(chain.events)
    first = stable(hq.get("/hq/summary").json())
    report = hq.get("/reports/sales", params={"group_by": "store"}).json()
    hq.feed(chain.events)                         # the broker delivers every event again
    assert stable(hq.get("/hq/summary").json()) == first
    assert hq.get("/reports/sales", params={"group_by": "store"}).json()["rows"] == report["rows"]
    assert hq.db.scalar("select count(*) from inbox where consumer like 'reporting.%'") \
        == len(chain.events)


def test_sales_and_turnover_reports_with_scope(hq):
    hq.post("/fx-rates", {"currency": "GBP", "rate": "1.25"})
    chain, _, _ = today_chain()
    hq.feed(chain.events)

    by_store = hq.get("/reports/sales", params={"group_by": "store"}).json()
    nyc = next(r for r in by_store["rows"] if r["store"] == NYC)
    assert nyc["code"] == "NYC" and nyc["currency"] == "USD"
    assert (nyc["sales"], nyc["returns"], nyc["pieces"]) == (2, 1, 2)
    assert nyc["net_sales"] == usd(345_000) and nyc["tax"] == usd(34_500)
    assert nyc["returned"] == usd(99_000) and nyc["net"] == usd(345_000 + 34_500 - 99_000)
    assert nyc["margin"] == usd(190_000) and nyc["net_margin"] == usd(140_000)
    lon = next(r for r in by_store["rows"] if r["store"] == LON)
    assert lon["currency"] == "GBP" and lon["net_sales"] == gbp(190_000)
    assert by_store["total"]["currency"] == "USD" and by_store["total"]["net_sales"] == usd(582_500)

    by_metal = hq.get("/reports/sales", params={"group_by": "metal"}).json()
    assert {r["metal"]: r["net_sales"]["amount"] for r in by_metal["rows"]} == {
        "gold": 240_000 + 237_500, "silver": 90_000}     # pieces only, the chain in USD
    by_category = rows(hq.get("/reports/sales.csv", params={"group_by": "category"}))
    assert [r["category"] for r in by_category] == ["bracelet", "necklace", "ring", "TOTAL"]

    manager = hq.user("store_manager", [NYC])
    mine = manager.get("/reports/sales", params={"group_by": "associate"}).json()
    assert {r["associate"] for r in mine["rows"]} == {"u-ann", "u-bob"}
    assert mine["total"]["currency"] == "USD" and mine["total"]["net_sales"] == usd(345_000)
    other = manager.get("/reports/sales", params={"store_id": LON})
    assert other.status_code == 403 and "your own store" in other.json()["detail"]
    assert manager.get("/reports/turnover", params={"store_id": LON}).status_code == 403
    assert manager.get("/hq/summary").status_code == 403

    turnover = hq.get("/reports/turnover").json()
    assert {s["code"] for s in turnover["stores"]} == {"NYC", "LON"}
    ring = next(c for s in turnover["stores"] if s["code"] == "NYC" for c in s["categories"]
                if c["category"] == "ring")
    assert ring["cogs"] == usd(100_000) and ring["gross_margin"] == usd(140_000)
    assert ring["aging"]["0-90"]["pieces"] == 1            # the held ring; one sold, one moved
    table = rows(hq.get("/reports/turnover.csv"))
    assert table[-1]["code"] == "CHAIN" and "gmroi" in table[-1]


def test_bad_input_gets_clear_errors_and_changes_nothing(hq):
    def problem(reply, status, field=None):
        assert reply.status_code == status, reply.text
        assert reply.headers["Content-Type"] == "application/problem+json"
        if field:
            assert field in reply.json()["errors"], reply.json()
        return reply.json()

    problem(hq.post("/fx-rates", {"currency": "XYZ", "rate": "1.1"}), 422, "currency")
    problem(hq.post("/fx-rates", {"currency": "EUR", "rate": "0"}), 422, "rate")
    problem(hq.post("/fx-rates", {"currency": "EUR", "rate": "-1.5"}), 422, "rate")
    problem(hq.post("/fx-rates", {"currency": "EUR", "rate": "many"}), 422, "rate")
    assert "reporting currency" in problem(
        hq.post("/fx-rates", {"currency": "USD", "rate": "1"}), 422, "currency")["detail"]
    assert hq.db.scalar("select count(*) from hq_fx_rates") == 0
    auditor = hq.user("auditor")
    problem(auditor.post("/fx-rates", {"currency": "EUR", "rate": "1.1"}), 403)
    manager = hq.user("store_manager", [NYC])
    problem(manager.post("/fx-rates", {"currency": "EUR", "rate": "1.1"}), 403)

    backwards = {"since": "2031-03-10", "until": "2031-03-01"}
    problem(hq.get("/reports/turnover", params=backwards), 422, "until")
    problem(hq.get("/reports/sales", params=backwards), 422, "until")
    problem(hq.get("/reports/sales.csv", params=backwards), 422, "until")
    problem(hq.get("/reports/sales", params={"group_by": "weather"}), 422, "group_by")

    made = hq.post("/fx-rates", {"currency": "EUR", "rate": "1.0850", "effective_at":
                                 "2031-01-01T00:00:00+00:00"})
    assert made.status_code == 201 and made.json()["rate"] == "1.085"
    assert hq.get("/fx-rates").json()["items"] == []          # not in force yet
    hq.post("/fx-rates", {"currency": "EUR", "rate": "1.09"})
    assert [(r["currency"], r["rate"]) for r in auditor.get("/fx-rates").json()["items"]] == [
        ("EUR", "1.09")]
    assert auditor.get("/hq/summary").status_code == 200
