"""Taking a job in at the counter: numbers, prices, photos, the envelope,
and bad input that changes nothing and stores nothing."""
import base64
from datetime import date, timedelta

import eventlet
import pytest

import contracts
from chassis.errors import Forbidden, InvalidInput, NotFound

from .conftest import (
    ASSOCIATE_A,
    AUDITOR,
    CLIENT,
    JEWELER_A,
    JEWELER_B,
    MANAGER_B,
    OTHER_CLIENT,
    PHOTO_MAX_BYTES,
    STORE_A,
    STORE_B,
    STORE_GB,
    UNKNOWN,
    b64,
    client_event,
    code128_in,
    files_in,
    image,
    job,
    wait_for,
)


def test_intake_numbers_prices_photos_and_publishes(workorders, db, as_, photo_dir):
    sa = as_(ASSOCIATE_A)
    wo = sa.workorders.create_work_order(job(rush=True, tasks=[
        {"code": "prong_retip", "quantity": 4},
        {"code": "engraving_letter", "text": "J & M 2024"},
        {"description": "Replace missing melee", "price": {"amount": 4000, "currency": "USD"}},
    ]))
    assert wo["number"] == "NYC-000001" and wo["stage"] == "received" and wo["rush"] is True
    assert [(t["code"], t["quantity"], t["price"]["amount"]) for t in wo["tasks"]] == [
        ("prong_retip", 4, 12000), ("engraving_letter", 7, 1050), (None, 1, 4000)]
    assert wo["tasks_total"] == {"amount": 17050, "currency": "USD"}
    assert wo["estimate_required"] is False and wo["balance_due"]["amount"] == 17050
    assert wo["client"] == {"id": CLIENT, "first_name": "Ada", "last_name": "Lovelace",
                            "phone": "+12125550123"}
    assert wo["store"]["code"] == "NYC" and wo["store"]["phone"] == "+1 212 555 0100"
    assert len(wo["tracking_token"]) >= 22  # token_urlsafe: >= 128 random bits
    photo = wo["intake"]["photos"][0]
    assert photo["content_type"] == "image/png" and photo["caption"] == "top view"
    assert len(files_in(photo_dir)) == 1
    got = sa.workorders.get_photo(wo["id"], photo["id"])   # where it is: the gateway reads it
    assert got["content_type"] == "image/png" and "content_base64" not in got
    assert (photo_dir / got["storage_key"]).read_bytes() == image()

    second = sa.workorders.create_work_order(job(tasks=[]))
    assert second["number"] == "NYC-000002" and second["estimate_required"] is True
    assert as_().workorders.create_work_order(job(store_id=STORE_B))["number"] == "MIA-000001"
    created = db.events("workorder.created")
    assert [e["payload"]["number"] for e in created] == ["NYC-000001", "NYC-000002", "MIA-000001"]
    assert created[0]["payload"]["tracking_token"] == wo["tracking_token"]
    assert created[0]["actor_id"] == "u-sa-a" and created[0]["store_id"] == STORE_A
    history = sa.workorders.history(wo["id"])["items"]
    assert [(h["change"], h["actor_id"], h["actor_role"], h["store_id"]) for h in history] == [
        ("created", "u-sa-a", "sales_associate", STORE_A)]


def test_numbers_are_sequential_without_gaps_under_concurrency(workorders, db, as_):
    def take(n):
        client = as_(ASSOCIATE_A)
        data = job(intake={"condition_notes": f"job {n}", "photos": []})
        if n % 5 == 0:
            data["tasks"] = [{"code": "no_such_task"}]   # refused: must not burn a number
        try:
            return client.workorders.create_work_order(data)["number"]
        except InvalidInput:
            return None

    pool = eventlet.GreenPool(12)
    numbers = [n for n in pool.imap(take, range(1, 25)) if n]
    assert sorted(numbers) == [f"NYC-{n:06d}" for n in range(1, len(numbers) + 1)]
    assert len(numbers) == 24 - 4
    assert db.scalar("select last_number from job_counters") == 20


BAD_INTAKE = [
    ({"promised_date": (date.today() - timedelta(days=2)).isoformat()}, {"promised_date"}),
    ({"client_id": UNKNOWN}, {"client_id"}),
    ({"store_id": UNKNOWN}, {"store_id"}),
    ({"kind": "polishing"}, {"kind"}),
    ({"tasks": [{"code": "gold_plating_of_the_moon"}]}, {"tasks.0.code"}),
    ({"tasks": [{"code": "engraving_letter"}]}, {"tasks.0.text"}),
    ({"tasks": [{"description": "Sizing", "price": {"amount": 100, "currency": "GBP"}}]},
     {"tasks.0.price.currency"}),
    ({"tasks": [{"code": "polish", "price": {"amount": 1, "currency": "USD"}}]}, {"tasks.0.price"}),
    ({"tasks": [{"description": "Look at it"}], "estimate_required": False}, {"estimate_required"}),
    ({"intake": {"condition_notes": "", "photos": [{"content_base64": b64(b"%PDF-1.4 not an image")}]}},
     {"intake.photos.0"}),
    ({"intake": {"condition_notes": "", "photos": [
        {"content_base64": b64(image())},
        {"content_base64": b64(b"\x89PNG\r\n\x1a\n" + b"\0" * PHOTO_MAX_BYTES)}]}},
     {"intake.photos.1"}),
    ({"intake": {"condition_notes": "", "photos": [{"content_base64": "***"}]}},
     {"intake.photos.0.content_base64"}),
]


def test_bad_intake_is_refused_field_by_field_and_nothing_is_stored(workorders, db, as_, photo_dir):
    sa = as_(ASSOCIATE_A)
    before = db.counts()
    for change, fields in BAD_INTAKE:
        with pytest.raises(InvalidInput) as err:
            sa.workorders.create_work_order(job(**change))
        assert fields <= set(err.value.errors), (change, err.value.errors)
        assert db.counts() == before
        assert files_in(photo_dir) == []


def test_a_photo_is_recognised_by_its_content(workorders, db, as_, photo_dir):
    sa = as_(ASSOCIATE_A)
    photos = [{"content_base64": b64(image(kind)), "caption": kind} for kind in ("JPEG", "WEBP")]
    wo = sa.workorders.create_work_order(job(intake={"condition_notes": "", "photos": photos}))
    assert [p["content_type"] for p in wo["intake"]["photos"]] == ["image/jpeg", "image/webp"]
    added = sa.workorders.add_photo(wo["id"], {"content_base64": b64(image("PNG")), "caption": "clasp"})
    assert added["content_type"] == "image/png"
    for bad in (b"GIF89a" + b"\0" * 20, b"<svg xmlns='http://www.w3.org/2000/svg'/>"):
        with pytest.raises(InvalidInput):
            sa.workorders.add_photo(wo["id"], {"content_base64": b64(bad)})
    assert len(files_in(photo_dir)) == 3
    assert db.scalar("select count(*) from work_order_photos") == 3


def test_scope_roles_and_unknown_jobs(workorders, as_):
    wo = as_(ASSOCIATE_A).workorders.create_work_order(job())
    with pytest.raises(NotFound):
        as_(MANAGER_B).workorders.get_work_order(wo["id"])
    with pytest.raises(NotFound):
        as_(JEWELER_B).workorders.envelope_pdf(wo["id"])
    with pytest.raises(Forbidden):
        as_(MANAGER_B).workorders.create_work_order(job())
    with pytest.raises(Forbidden):
        as_(JEWELER_A).workorders.create_work_order(job())      # sales associates take intake
    with pytest.raises(Forbidden):
        as_(AUDITOR).workorders.create_work_order(job())
    assert as_(AUDITOR).workorders.get_work_order(wo["id"])["number"] == wo["number"]
    assert as_(JEWELER_A).workorders.get_work_order(wo["id"])["id"] == wo["id"]
    with pytest.raises(NotFound):
        as_().workorders.get_work_order(UNKNOWN)
    with pytest.raises(InvalidInput):
        as_().workorders.get_work_order("NYC-000001")


def test_envelope_is_a_pdf_with_barcode_number_client_tasks_and_condition(workorders, as_):
    wo = as_(ASSOCIATE_A).workorders.create_work_order(job(rush=True))
    pdf = base64.b64decode(as_(JEWELER_A).workorders.envelope_pdf(wo["id"]))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and b"/Type /Page" in pdf
    for text in (wo["number"], "Ada Lovelace", "Worn prongs, small chip on girdle", "RUSH",
                 "Prong retip \\(per prong\\)", "$120.00", "Promised"):
        assert text.encode() in pdf, text
    assert code128_in(pdf) == wo["number"]   # the bench scans the envelope


def test_price_list_is_edited_by_hq_and_used_at_intake(workorders, db, as_):
    hq = as_()
    prices = {p["code"]: p for p in hq.workorders.list_prices({"currency": "USD"})["items"]}
    assert prices["prong_retip"]["price"] == {"amount": 3000, "currency": "USD"}
    assert {"ring_size_up", "ring_size_down", "chain_solder", "polish", "stone_tightening",
            "engraving_letter"} <= set(prices)
    with pytest.raises(Forbidden):
        as_(MANAGER_B).workorders.set_price("polish", {"currency": "USD", "name": "Polish",
                                                       "price": {"amount": 1, "currency": "USD"}})
    hq.workorders.set_price("polish", {"currency": "USD", "name": "Clean and polish",
                                       "price": {"amount": 2500, "currency": "USD"}})
    hq.workorders.set_price("polish", {"currency": "GBP", "name": "Clean and polish",
                                       "price": {"amount": 1800, "currency": "GBP"}})
    with pytest.raises(InvalidInput) as err:
        hq.workorders.set_price("Polish!", {"currency": "USD", "name": "x",
                                            "price": {"amount": 1, "currency": "USD"}})
    assert "code" in err.value.errors
    usd = hq.workorders.create_work_order(job(tasks=[{"code": "polish"}]))
    gbp = hq.workorders.create_work_order(job(store_id=STORE_GB, tasks=[{"code": "polish"}]))
    assert usd["tasks_total"] == {"amount": 2500, "currency": "USD"}
    assert gbp["tasks_total"] == {"amount": 1800, "currency": "GBP"} and gbp["number"] == "LON-000001"
    with pytest.raises(InvalidInput):   # the GBP list has no prong retip
        hq.workorders.create_work_order(job(store_id=STORE_GB, tasks=[{"code": "prong_retip"}]))
    changes = db.all("select code, currency, actor_id, before is null from repair_price_changes order by id")
    assert [tuple(c) for c in changes] == [("polish", "USD", "u-hq", False), ("polish", "GBP", "u-hq", True)]


def test_client_facts_follow_crm_events_and_merges(workorders, db, as_):
    wo = as_().workorders.create_work_order(job(client_id=OTHER_CLIENT))
    workorders.dispatch("crm", "client.updated",
                        client_event(OTHER_CLIENT, "Grace", "Murray", "+12125550999", "client.updated"))
    wait_for(lambda: db.scalar("select last_name from clients where id = :c", c=OTHER_CLIENT) == "Murray")
    workorders.dispatch("crm", "client.merged", contracts.build_envelope(
        "client.merged", {"survivor_id": CLIENT, "merged_id": OTHER_CLIENT}, producer="crm"))
    wait_for(lambda: as_().workorders.get_work_order(wo["id"])["client_id"] == CLIENT)
    again = as_().workorders.create_work_order(job(client_id=OTHER_CLIENT))
    assert again["client_id"] == CLIENT and again["client"]["last_name"] == "Lovelace"
    assert "client_merged" in [h["change"] for h in as_().workorders.history(wo["id"])["items"]]
