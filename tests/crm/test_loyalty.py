"""Purchases from payments' events, lifetime value, tiers by rolling spend,
and the loyalty ledger behind payments' points tender."""
from datetime import datetime, timedelta, timezone

import pytest

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.crm import campaigns, loyalty

from .conftest import ASSOCIATE_A, AUDITOR, HQ, MANAGER_A, SETTINGS, client_data, consumed, money, new_id, sale_payload


@pytest.fixture
def client(crm, as_):
    return as_(ASSOCIATE_A).crm.create_client(client_data())


def sell(publish, db, client_id, total, **kw):
    envelope = publish("payments", "sale.completed", sale_payload(client_id, total, **kw))
    consumed(db, envelope)
    return envelope


def give_points(as_, client_id, points):
    return as_(HQ).crm.adjust_points(client_id, {"points": points, "reason": "welcome gift"})


def test_sales_build_lifetime_value_points_and_tier(crm, db, as_, publish, client):
    hq = as_().crm
    sell(publish, db, client["id"], 60_000)
    seen = hq.get_client(client["id"])
    assert seen["lifetime_value"] == money(60_000) and seen["loyalty_points"] == 600
    assert seen["tier"] == "new" and seen["last_purchase_at"]
    first = sell(publish, db, client["id"], 50_000)
    assert hq.get_client(client["id"])["tier"] == "loyal"
    # a paid part in points earns nothing; 510,000 in 12 months is vip
    sell(publish, db, client["id"], 400_000, tenders=[
        {"method": "loyalty_points", "amount": money(10_000)},
        {"method": "card", "amount": money(390_000)}])
    seen = hq.get_client(client["id"])
    assert seen["tier"] == "vip" and seen["lifetime_value"] == money(510_000)
    assert seen["loyalty_points"] == 600 + 500 + 3_900
    moves = [(e["payload"]["old_tier"], e["payload"]["new_tier"])
             for e in db.events("client.tier_changed")]
    assert moves == [("new", "loyal"), ("loyal", "vip")]
    # payments delivers the same event again: no second effect
    publish("payments", "sale.completed", None, envelope=first)
    sell(publish, db, client["id"], 1_000)   # a later event, to know the repeat was handled
    assert db.scalar("select count(*) from purchases") == 4
    assert hq.get_client(client["id"])["loyalty_points"] == 600 + 500 + 3_900 + 10
    kinds = [r[0] for r in db.all("select kind from timeline order by id")]
    assert kinds == ["purchase"] * 4


def test_sale_without_client_is_ignored_and_other_currencies_are_kept_apart(crm, db, as_, publish,
                                                                            client):
    anonymous = publish("payments", "sale.completed", sale_payload(None, 99_000))
    consumed(db, anonymous)
    assert db.scalar("select count(*) from purchases") == 0
    sell(publish, db, client["id"], 30_000)
    sell(publish, db, client["id"], 20_000, currency="GBP")
    seen = as_().crm.get_client(client["id"])
    assert seen["lifetime_value"] == money(30_000)            # the home store's currency
    assert sorted(v["currency"] for v in seen["lifetime_value_by_currency"]) == ["GBP", "USD"]
    assert seen["loyalty_points"] == 500


def test_return_takes_back_value_and_points_and_can_lower_the_tier(crm, db, as_, publish, client):
    sale = sell(publish, db, client["id"], 120_000)
    assert as_().crm.get_client(client["id"])["tier"] == "loyal"
    returned = publish("payments", "sale.returned", {
        "sale_id": sale["payload"]["sale_id"], "return_id": new_id(),
        "store_id": sale["payload"]["store_id"], "client_id": client["id"],
        "item_ids": [sale["payload"]["lines"][0]["item_id"]], "refund": money(120_000),
        "returned_at": datetime.now(timezone.utc).isoformat()})
    consumed(db, returned)
    seen = as_().crm.get_client(client["id"])
    assert seen["lifetime_value"] == money(0) and seen["loyalty_points"] == 0
    assert seen["tier"] == "new"
    assert [(e["payload"]["old_tier"], e["payload"]["new_tier"])
            for e in db.events("client.tier_changed")] == [("new", "loyal"), ("loyal", "new")]
    timeline = as_().crm.timeline(client["id"])["items"]
    assert [e["kind"] for e in timeline] == ["return", "purchase"]


def test_spend_older_than_twelve_months_leaves_the_tier(crm, db, as_, publish, client):
    sell(publish, db, client["id"], 150_000)
    assert as_().crm.get_client(client["id"])["tier"] == "loyal"
    db.execute("update purchases set at = now() - interval '400 days'")
    with db.domain().transaction() as session:
        moved = campaigns.review_tiers(session, HQ, SETTINGS, datetime.now(timezone.utc))
    assert moved == 1
    seen = as_().crm.get_client(client["id"])
    assert seen["tier"] == "new" and seen["lifetime_value"] == money(150_000)


def test_twenty_concurrent_redemptions_never_take_the_balance_below_zero(crm, db, as_, client):
    give_points(as_, client["id"], 1_000)
    terminals = [as_(ASSOCIATE_A) for _ in range(4)]
    calls = [terminals[i % 4].crm.redeem_points.call_async(client["id"], new_id(), 100)
             for i in range(20)]
    outcomes = []
    for call in calls:
        try:
            outcomes.append(call.result()["balance"])
        except Conflict:
            outcomes.append("refused")
    assert outcomes.count("refused") == 10
    assert sorted(o for o in outcomes if o != "refused") == list(range(0, 1000, 100))
    assert db.scalar("select sum(points) from loyalty_ledger") == 0
    assert db.scalar("select count(*) from loyalty_ledger where kind = 'redeem'") == 10
    assert as_().crm.get_client(client["id"])["loyalty_points"] == 0


def test_redemption_is_idempotent_by_sale_even_when_repeated_concurrently(crm, db, as_, client):
    give_points(as_, client["id"], 1_000)
    sale = new_id()
    terminals = [as_(ASSOCIATE_A) for _ in range(4)]
    calls = [terminals[i % 4].crm.redeem_points.call_async(client["id"], sale, 300)
             for i in range(20)]
    results = [call.result() for call in calls]
    assert {(r["points"], r["balance"]) for r in results} == {(300, 700)}
    assert sum(not r["repeated"] for r in results) == 1
    assert db.scalar("select count(*) from loyalty_ledger where kind = 'redeem'") == 1
    with pytest.raises(Conflict):
        as_(ASSOCIATE_A).crm.redeem_points(client["id"], sale, 200)
    with pytest.raises(Conflict) as err:
        as_(ASSOCIATE_A).crm.redeem_points(client["id"], new_id(), 701)
    assert "700 available" in str(err.value)


def test_refund_gives_points_back_once_and_closes_the_sale(crm, db, as_, client):
    give_points(as_, client["id"], 500)
    sa = as_(ASSOCIATE_A).crm
    sale = new_id()
    sa.redeem_points(client["id"], sale, 200)
    assert sa.refund_points(client["id"], sale) == {
        "client_id": client["id"], "sale_id": sale, "points": 200, "balance": 500}
    assert sa.refund_points(client["id"], sale)["balance"] == 500
    with pytest.raises(Conflict):
        sa.redeem_points(client["id"], sale, 200)
    # a refund that arrives before its (late) redemption closes the sale too
    late = new_id()
    assert sa.refund_points(client["id"], late)["points"] == 0
    with pytest.raises(Conflict):
        sa.redeem_points(client["id"], late, 100)
    ledger = as_().crm.loyalty_ledger(client["id"])
    assert ledger["balance"] == 500
    assert [e["kind"] for e in ledger["items"]] == ["adjust", "adjust", "redeem", "adjust"]


@pytest.mark.parametrize("args, field", [
    ((None, 0), "points"), ((None, -5), "points"), ((None, 1.5), "points"),
    ((None, "ten"), "points"), (("not-a-sale", 10), "sale_id"),
])
def test_bad_redemption_is_refused_and_changes_nothing(crm, db, as_, client, args, field):
    give_points(as_, client["id"], 100)
    sale, points = args
    with pytest.raises(InvalidInput) as err:
        as_(ASSOCIATE_A).crm.redeem_points(client["id"], sale or new_id(), points)
    assert field in err.value.errors
    assert db.scalar("select count(*) from loyalty_ledger") == 1
    with pytest.raises(NotFound):
        as_(ASSOCIATE_A).crm.redeem_points(new_id(), new_id(), 10)


def test_adjustments_are_for_hq_and_never_go_below_zero(crm, db, as_, client):
    # docs/ARCHITECTURE.md#rule-7: loyalty adjustments need hq_admin (a store
    # manager adjusted another store's client's points before)
    give_points(as_, client["id"], 100)
    for someone in (ASSOCIATE_A, MANAGER_A):
        with pytest.raises(Forbidden):
            as_(someone).crm.adjust_points(client["id"], {"points": 50, "reason": "x"})
    with pytest.raises(Forbidden):
        as_(AUDITOR).crm.redeem_points(client["id"], new_id(), 10)
    with pytest.raises(InvalidInput) as err:
        as_(HQ).crm.adjust_points(client["id"], {"points": -101, "reason": "typo"})
    assert "points" in err.value.errors
    assert as_(HQ).crm.adjust_points(client["id"], {"points": -100, "reason": "typo"})["balance"] == 0
    assert db.scalar("select count(*) from history where entity = 'points'") == 2


def test_points_expire_after_a_long_quiet_spell(crm, db, as_, publish, client):
    sell(publish, db, client["id"], 25_000)
    quiet = as_().crm.create_client(client_data(first_name="Quiet", phone=None, email=None))
    sell(publish, db, quiet["id"], 10_000)
    db.execute("update loyalty_ledger set at = now() - interval '800 days' where client_id = :c",
               c=quiet["id"])
    today = datetime.now(timezone.utc).date()
    for _ in range(2):   # a second run the same day expires nothing more
        with db.domain().transaction() as session:
            loyalty.expire_points(session, HQ, SETTINGS, today)
    assert as_().crm.get_client(quiet["id"])["loyalty_points"] == 0
    assert as_().crm.get_client(client["id"])["loyalty_points"] == 250
    assert db.scalar("select count(*) from loyalty_ledger where kind = 'expire'") == 1
    with db.domain().transaction() as session:
        loyalty.expire_points(session, HQ, SETTINGS, today + timedelta(days=1))
    assert db.scalar("select count(*) from loyalty_ledger where kind = 'expire'") == 1
