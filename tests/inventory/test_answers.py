"""What the inventory routes answer is what they declare
(gateway/inventory_schemas.py), on real pieces, counts, memos and prices:
the fuzzer seldom reaches a 2xx with a priced piece or a closed count."""
from datetime import date, timedelta

from contracts.rpc import inventory as rpc
from gateway import inventory_schemas as views
from tests.gateway.conftest import piece
from tests.support.answers import problems

from .test_http import http  # noqa: F401 (the fixture)

CLIENT = "c1000000-0000-4000-8000-000000000001"


def usd(amount):
    return {"amount": amount, "currency": "USD"}


def test_every_inventory_answer_is_the_one_declared(http):  # noqa: F811
    admin, nyc, mia = http
    found = []

    def check(schema, reply):
        assert reply.status_code < 300, reply.text
        found.extend(problems(schema, reply.json(), f"{reply.request.method} {reply.request.path_url}"))
        return reply.json()

    a, b = (admin.post("/items", piece(nyc["id"])).json() for _ in range(2))
    hold = check(views.Reservation, admin.post(f"/items/{a['id']}/reservations", {"client_id": CLIENT}))
    check(views.HoldPage, admin.get("/holds"))
    check(views.Reservation, admin.request("DELETE", f"/reservations/{hold['id']}"))
    sent = check(views.Transfer, admin.post("/transfers", {
        "item_ids": [b["id"]], "from_store_id": nyc["id"], "to_store_id": mia["id"]}))
    check(views.Transfer, admin.post(f"/transfers/{sent['id']}/receive"))
    check(views.TransferPage, admin.get("/transfers"))
    count = check(views.StockCount, admin.post("/stock-counts", {"store_id": nyc["id"]}))
    check(views.StockCount, admin.post(f"/stock-counts/{count['id']}/scans", {"tags": [a["tag"], "ZZZ1"]}))
    check(views.OpenStockCount, admin.get(f"/stock-counts/{count['id']}"))
    check(views.StockCountPage, admin.get("/stock-counts"))
    check(views.StockCount, admin.post(f"/stock-counts/{count['id']}/close", {"mark_missing": True}))
    check(views.OpenStockCount, admin.get(f"/stock-counts/{count['id']}"))
    memo = check(views.Memo, admin.post("/memos", {
        "direction": "out", "store_id": nyc["id"], "counterparty": "Dealer", "item_ids": [a["id"]],
        "due_date": (date.today() + timedelta(days=3)).isoformat()}))
    check(views.MemoPage, admin.get("/memos"))
    check(views.Memo, admin.post(f"/memos/{memo['id']}/return"))
    vendor = check(views.Vendor, admin.post("/vendors", {"name": "Gem Co", "contact": {"phone": "1"}}))
    check(views.VendorPage, admin.get("/vendors"))
    check(views.Vendor, admin.patch(f"/vendors/{vendor['id']}", {"name": "Gem & Co"}))
    weighed = admin.post("/items", piece(nyc["id"], pricing={"markup": "2.0", "labor": usd(5000)})).json()
    check(rpc.Item, admin.get(f"/items/{weighed['id']}"))
    check(views.MetalPriceResult, admin.post("/metal-prices", {"metal": "gold", "price_per_gram": usd(6000),
                                                                "confirm": True}))
    admin.post("/metal-prices", {"metal": "gold", "price_per_gram": usd(9000)})
    waiting = check(views.PriceChangePage, admin.get("/price-changes"))
    check(views.PriceChange, admin.post(f"/price-changes/{waiting['items'][0]['id']}/reject"))
    check(views.AvailabilityPage, admin.get("/availability", params={"store_id": nyc["id"]}))
    assert not found, "\n".join(found)
