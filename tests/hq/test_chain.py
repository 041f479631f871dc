"""The whole chain (real inventory, crm, workorders, payments, reporting
and the gateway) driven over HTTP for a scripted day: HQ's figures equal the sums of
the operations performed; then the read model is lost and rebuilt from the
services' own data, to the same figures. And chain-wide availability with
transfer requests between stores."""
import uuid
from datetime import date, timedelta

import pytest
import requests
from nameko.testing.utils import find_free_port
from sqlalchemy import create_engine

from chassis.db import Db as ChassisDb
from chassis.errors import Forbidden
from chassis.identity import Identity
from gateway.create_admin import create_first_admin
from gateway.service import Service as Gateway
from services.crm.service import Service as Crm
from services.inventory.service import Service as Inventory
from services.payments.service import Service as Payments
from services.reporting.projections import PROJECTION_TABLES
from services.reporting.rebuild import main as rebuild_main, rebuild
from services.reporting.service import Service as Reporting
from services.workorders import dues
from services.workorders.service import Service as Workorders
from tests.conftest import wait_for
from tests.gateway.conftest import ADMIN, AUDIENCE, ISSUER, SECRET, Api, Db
from tests.payments.conftest import localstripe  # noqa: F401  (session fixture)

from .conftest import gbp, usd

TIERS = {"CRM_TIER_LOYAL_SPEND": 100_000, "CRM_TIER_VIP_SPEND": 500_000, "CRM_POINTS_PER_UNIT": 1}


def ring(store_id, cost=100_000, price=250_000, currency="USD", ownership="owned",
         category="ring", metal="gold"):
    return {"store_id": store_id, "category": category, "description": f"{metal} {category}",
            "metal": {"type": metal, "karat": 18, "weight_g": "3.100"},
            "stones": [{"type": "diamond", "carat": "0.500",
                        "certificate": {"lab": "GIA", "number": uuid.uuid4().hex[:10]}}],
            "cost": {"amount": cost, "currency": currency},
            "price": {"amount": price, "currency": currency}, "ownership": ownership}


class Platform:
    pass


def _start(start_service, *args, **kwargs):
    container = start_service(*args, **kwargs)
    container.db_handle = Db(container.database_url)
    return container


@pytest.fixture
def platform(start_service, localstripe, tmp_path):  # noqa: F811
    p = Platform()
    p.inventory = _start(start_service, Inventory, DB_POOL_SIZE=4)
    p.crm = _start(start_service, Crm, DB_POOL_SIZE=4, **TIERS)
    p.workorders = _start(start_service, Workorders, DB_POOL_SIZE=4, PHOTO_DIR=str(tmp_path))
    p.payments = _start(start_service, Payments, DB_POOL_SIZE=4, STRIPE_API_KEY="sk_test_hq",
                        STRIPE_API_BASE=localstripe.url, STRIPE_TIMEOUT=2,
                        STRIPE_WEBHOOK_SECRET="whsec_hq")
    p.reporting = _start(start_service, Reporting, DB_POOL_SIZE=4)
    port = find_free_port()
    p.gateway = _start(start_service, Gateway, DB_POOL_SIZE=6, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                       JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    create_first_admin(p.gateway.database_url, *ADMIN)
    services = (p.inventory, p.crm, p.workorders, p.payments, p.reporting)
    with requests.Session() as session:
        api = Api(f"http://127.0.0.1:{port}", session)
        p.admin = api.as_(api.login(*ADMIN))
        p.nyc = p.admin.store("NYC", tax_rate_bps=1000)["id"]
        p.lon = p.admin.store("LON", currency="GBP", timezone="Europe/London", country="GB",
                              tax_rate_bps=2000)["id"]
        wait_for(lambda: all(s.db_handle.scalar("select count(*) from stores") == 2
                             for s in services), message="the stores reached every service")
        yield p
    for c in services + (p.gateway,):
        c.db_handle.engine.dispose()


def hq_figures(summary):
    """What HQ shows, without when it was made."""
    return {"chain": summary["chain"],
            "stores": {s["code"]: {k: s[k] for k in ("stock", "sales_today", "work_orders", "clients")}
                       for s in summary["stores"]}}


def test_a_scripted_day_adds_up_on_the_hq_screen_and_survives_a_rebuild(platform, rpc_client,
                                                                       monkeypatch, rabbit_uri,
                                                                       capsys):
    p, admin = platform, platform.admin
    nyc_seller = admin.user("sales_associate", [p.nyc])
    nyc_manager = admin.user("store_manager", [p.nyc])
    lon_seller = admin.user("sales_associate", [p.lon])
    assert admin.post("/fx-rates", {"currency": "GBP", "rate": "1.25"}).status_code == 201

    def receive(body):
        reply = admin.post("/items", body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    def sell(seller, store_id, item, total, currency="USD", client_id=None):
        reply = seller.post("/sales", {"store_id": store_id, "client_id": client_id,
                                       "lines": [{"item_id": item["id"]}],
                                       "tenders": [{"method": "cash",
                                                    "amount": {"amount": total, "currency": currency}}]},
                            headers={"Idempotency-Key": str(uuid.uuid4())})
        assert reply.status_code == 201, reply.text
        return reply.json()

    # the day -------------------------------------------------------------------------------
    rings = [receive(ring(p.nyc)) for _ in range(4)]                        # 4 x 1,000 / 2,500 USD
    memo = receive(ring(p.nyc, 500_000, 900_000, ownership="memo_in", metal="platinum"))
    bracelets = [receive(ring(p.lon, 80_000, 200_000, "GBP", category="bracelet")) for _ in range(2)]
    client = admin.post("/clients", {"first_name": "Ada", "last_name": "Lovelace",
                                     "phone": "+12125550123", "home_store_id": p.nyc})
    assert client.status_code == 201, client.text
    client_id = client.json()["id"]

    sell(nyc_seller, p.nyc, rings[0], 275_000, client_id=client_id)        # 2,500 + 10 % tax
    second = sell(nyc_seller, p.nyc, rings[1], 275_000)
    back = nyc_manager.post(f"/sales/{second['id']}/returns", {"item_ids": [rings[1]["id"]]},
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert back.status_code == 201, back.text
    sell(lon_seller, p.lon, bracelets[0], 240_000, "GBP")                   # 2,000 + 20 % VAT
    hold = nyc_seller.post(f"/items/{rings[2]['id']}/reservations",
                           {"client_id": client_id, "hold_hours": 4})
    assert hold.status_code == 201, hold.text
    assert nyc_manager.patch(f"/items/{rings[2]['id']}",
                             {"price": {"amount": 260_000, "currency": "USD"}}).status_code == 200
    transfer = nyc_manager.post("/transfers", {"item_ids": [rings[3]["id"]], "from_store_id": p.nyc,
                                               "to_store_id": p.lon})
    assert transfer.status_code == 201, transfer.text
    assert admin.post(f"/transfers/{transfer.json()['id']}/receive").status_code == 200
    count = nyc_manager.post("/stock-counts", {"store_id": p.nyc}).json()
    nyc_manager.post(f"/stock-counts/{count['id']}/scans", {"tags": [rings[1]["tag"], rings[2]["tag"]]})
    closed = nyc_manager.post(f"/stock-counts/{count['id']}/close", {"mark_missing": True}).json()
    assert closed["missing"] == [memo["tag"]]                          # the memo piece is not found

    wait_for(lambda: p.workorders.db_handle.scalar(
        "select count(*) from clients where id = :c", c=client_id), message="client at workorders")
    jobs = []
    for days in (5, 9, 12):
        job = admin.post("/work-orders", {
            "store_id": p.nyc, "client_id": client_id, "kind": "repair",
            "item_description": "Ring, worn prongs", "estimate_required": False,
            "tasks": [{"description": "retip prongs", "price": {"amount": 8_000, "currency": "USD"}}],
            "promised_date": (date.today() + timedelta(days=days)).isoformat()})
        assert job.status_code == 201, job.text
        jobs.append(job.json()["id"])
    cancelled = admin.post(f"/work-orders/{jobs[2]}/transition",
                           {"stage": "cancelled", "note": "client changed their mind"})
    assert cancelled.status_code == 200, cancelled.text
    # one job's promised day passes; the workorders timer publishes workorder.overdue
    wdb = p.workorders.db_handle
    wdb.engine.dispose()
    engine = create_engine(p.workorders.database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("update work_orders set promised_date = current_date - 3 "
                             "where id = %s", (jobs[0],))
    with ChassisDb(engine, producer="workorders", identity=Identity.system()).transaction() as s:
        assert dues.flag_overdue(s) == 1
    engine.dispose()

    # what the operations add up to -------------------------------------------------------------
    tier = lambda: admin.get(f"/clients/{client_id}").json()["tier"]  # noqa: E731
    expected_stores = {
        "NYC": {  # rings 1 (returned) and 2 (held, repriced); the memo piece counted missing
            "stock": {"pieces": 3,
                      "owned": {"pieces": 2, "cost": usd(200_000), "retail": usd(510_000)},
                      "memo_in": {"pieces": 1, "cost": usd(500_000), "retail": usd(900_000)},
                      "consignment": {"pieces": 0, "cost": usd(0), "retail": usd(0)},
                      "value": {"cost": usd(200_000), "retail": usd(510_000)}},
            "sales": (2, 2, 1), "revenue": usd(500_000), "cost": usd(200_000),
            "margin": usd(300_000), "returned": usd(250_000),
            "work_orders": {"open": 2, "overdue": 1}},
        "LON": {  # its second bracelet and ring 3 (in USD, at 1 GBP = 1.25 USD)
            "stock": {"pieces": 2,
                      "owned": {"pieces": 2, "cost": gbp(160_000), "retail": gbp(400_000)},
                      "memo_in": {"pieces": 0, "cost": gbp(0), "retail": gbp(0)},
                      "consignment": {"pieces": 0, "cost": gbp(0), "retail": gbp(0)},
                      "value": {"cost": gbp(160_000), "retail": gbp(400_000)}},
            "sales": (1, 1, 0), "revenue": gbp(200_000), "cost": gbp(80_000),
            "margin": gbp(120_000), "returned": gbp(0),
            "work_orders": {"open": 0, "overdue": 0}},
    }

    def matches():
        s = admin.get("/hq/summary").json()
        stores = {x["code"]: x for x in s["stores"]}
        for code, e in expected_stores.items():
            got, sales = stores[code], stores[code]["sales_today"]
            if (got["stock"] != e["stock"] or got["work_orders"] != e["work_orders"]
                    or (sales["sales"], sales["pieces"], sales["returns"]) != e["sales"]
                    or any(sales[k] != e[k] for k in ("revenue", "cost", "margin", "returned"))):
                return False
        clients = s["chain"]["clients"]
        return sum(clients.values()) == 1 and clients[tier()] == 1 and s

    summary = wait_for(matches, timeout=20, message="HQ's figures to equal the day's operations")
    chain = summary["chain"]
    assert chain["stock"]["owned"] == {"pieces": 4, "cost": usd(400_000), "retail": usd(1_010_000)}
    assert (chain["sales_today"]["revenue"], chain["sales_today"]["margin"]) == (
        usd(750_000), usd(450_000))
    assert chain["work_orders"] == {"open": 2, "overdue": 1}
    assert summary["as_of"] and summary["lag_seconds"] is not None
    sales_by_store = admin.get("/reports/sales", params={"group_by": "store"}).json()["rows"]
    turnover = admin.get("/reports/turnover").json()["stores"]

    # the read model is lost, and rebuilt from the services' own data -------------------------------
    rdb = p.reporting.db_handle
    with rdb.engine.begin() as conn:      # the stores copy too: the rebuild loads it first
        conn.exec_driver_sql("TRUNCATE stores, " + ", ".join(PROJECTION_TABLES))
    assert admin.get("/hq/summary").json()["chain"]["stock"]["pieces"] == 0
    counts = rebuild(rdb.engine, rpc_client(Identity.system()), page_size=3)
    assert counts == {"pieces": 7, "sales": 3, "work_orders": 3, "clients": 1}
    rebuilt = admin.get("/hq/summary").json()
    assert hq_figures(rebuilt) == hq_figures(summary)
    assert rebuilt["as_of"] is not None
    assert admin.get("/reports/sales", params={"group_by": "store"}).json()["rows"] == sales_by_store
    assert admin.get("/reports/turnover").json()["stores"] == turnover

    # the operator's command, over a live and complete read model: nothing changes
    monkeypatch.setenv("REPORTING_DATABASE_URL", p.reporting.database_url)
    monkeypatch.setenv("AMQP_URI", rabbit_uri)
    rebuild_main(["--page-size", "3", "--timeout", "10"])
    assert "7 pieces, 3 sales, 3 work_orders, 1 clients" in capsys.readouterr().out
    assert hq_figures(admin.get("/hq/summary").json()) == hq_figures(summary)


def test_any_store_finds_a_piece_elsewhere_and_asks_for_it(start_service, rpc_client):
    inventory = _start(start_service, Inventory, DB_POOL_SIZE=4)
    reporting = _start(start_service, Reporting, DB_POOL_SIZE=4)
    port = find_free_port()
    gateway = _start(start_service, Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                     JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    create_first_admin(gateway.database_url, *ADMIN)
    with requests.Session() as session:
        api = Api(f"http://127.0.0.1:{port}", session)
        admin = api.as_(api.login(*ADMIN))
        nyc, mia = admin.store("NYC")["id"], admin.store("MIA")["id"]
        wait_for(lambda: all(s.db_handle.scalar("select count(*) from stores") == 2
                             for s in (inventory, reporting)),
                 message="stores reached inventory and reporting")
        theirs = admin.post("/items", dict(ring(nyc), description="Emerald cut sapphire ring")).json()
        mine = admin.post("/items", dict(ring(mia), description="Sapphire pendant",
                                         category="pendant")).json()
        miami = admin.user("sales_associate", [mia])
        miami_manager = admin.user("store_manager", [mia])
        nyc_manager = admin.user("store_manager", [nyc])

        found = miami.get("/availability", params={"q": "sapphire"})
        assert found.status_code == 200, found.text
        items = {i["id"]: i for i in found.json()["items"]}
        assert set(items) == {theirs["id"], mine["id"]}
        other = items[theirs["id"]]
        assert other["tag"] == theirs["tag"] and other["price"] == usd(250_000)
        assert other["store"] == {"id": nyc, "code": "NYC", "name": "NYC boutique"}
        assert other["yours"] is False
        assert not {"cost", "vendor_id", "pricing", "history"} & set(other)
        assert items[mine["id"]]["cost"] == usd(100_000) and items[mine["id"]]["yours"] is True
        assert miami.get(f"/items/{theirs['id']}").status_code == 404   # still not theirs to open
        assert miami.get("/availability", params={"category": "tiara"}).status_code == 422
        # the rebuild's snapshot is for HQ only
        manager = Identity(user_id="u-m", role="store_manager", store_ids=(mia,), store_id=mia)
        with pytest.raises(Forbidden):
            rpc_client(manager).inventory.snapshot_items(None, 10)
        assert len(rpc_client(Identity.system()).inventory.snapshot_items(None, 10)["items"]) == 2
        with pytest.raises(Forbidden):
            rpc_client(manager).gateway.stores_snapshot(None, 10)
        with pytest.raises(Forbidden):                  # reporting checks roles itself too
            rpc_client(manager).reporting.summary()
        with pytest.raises(Forbidden):
            rpc_client(manager).reporting.record_fx_rate({"currency": "EUR", "rate": "1.1"})
        snapshot = rpc_client(Identity.system()).gateway.stores_snapshot(None, 1)
        assert len(snapshot["items"]) == 1 and snapshot["next_cursor"]
        rest = rpc_client(Identity.system()).gateway.stores_snapshot(snapshot["next_cursor"], 10)
        assert {s["code"] for s in snapshot["items"] + rest["items"]} == {"NYC", "MIA"}
        assert rest["next_cursor"] is None

        wait_for(lambda: reporting.db_handle.scalar(
            "select count(*) from hq_pieces where received_at is not null") == 2,
            message="pieces reached HQ's read model")
        asked = miami.post("/transfer-requests", {"item_id": theirs["id"], "note": "client visit"})
        assert asked.status_code == 201, asked.text
        request = asked.json()
        assert (request["from_store_id"], request["to_store_id"], request["status"]) == (nyc, mia, "open")
        assert request["piece"]["tag"] == theirs["tag"] and "cost" not in request["piece"]
        again = miami.post("/transfer-requests", {"item_id": theirs["id"]})
        assert again.status_code == 409
        own = miami.post("/transfer-requests", {"item_id": mine["id"]})
        assert own.status_code == 422 and "item_id" in own.json()["errors"]
        assert miami.post("/transfer-requests", {"item_id": theirs["id"], "to_store_id": nyc}) \
            .status_code == 403
        nowhere = admin.post("/transfer-requests", {"item_id": theirs["id"],
                                                    "to_store_id": str(uuid.uuid4())})
        assert nowhere.status_code == 422 and "to_store_id" in nowhere.json()["errors"]

        incoming = nyc_manager.get("/transfer-requests", params={"direction": "incoming"}).json()
        assert [r["id"] for r in incoming["items"]] == [request["id"]]
        assert miami_manager.post(f"/transfer-requests/{request['id']}/decline", {}).status_code == 403
        ship = nyc_manager.post("/transfers", {"item_ids": [theirs["id"]], "from_store_id": nyc,
                                               "to_store_id": mia})
        assert ship.status_code == 201, ship.text

        def status():
            items = miami.get("/transfer-requests").json()["items"]
            return items[0]["status"] if items else None

        wait_for(lambda: status() == "shipped", message="the request follows the transfer")
        assert miami_manager.post(f"/transfers/{ship.json()['id']}/receive").status_code == 200
        wait_for(lambda: status() == "received", message="the piece arrived")
        done = miami.get("/transfer-requests").json()["items"][0]
        assert done["transfer_id"] == ship.json()["id"]
        assert [h["change"] for h in done["history"]] == ["requested", "shipped", "received"]
    for c in (inventory, reporting, gateway):
        c.db_handle.engine.dispose()
