"""The inventory routes through the real gateway, over HTTP."""
import pytest
import requests
from nameko.testing.utils import find_free_port

from gateway.create_admin import create_first_admin
from gateway.service import Service as Gateway
from tests.conftest import wait_for
from tests.gateway.conftest import ADMIN, AUDIENCE, ISSUER, SECRET, Api, piece

from .conftest import pdf_texts


@pytest.fixture
def http(start_service, inventory):
    port = find_free_port()
    gateway = start_service(Gateway, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
                            JWT_SECRET=SECRET, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE)
    create_first_admin(gateway.database_url, *ADMIN)
    with requests.Session() as session:
        api = Api(f"http://127.0.0.1:{port}", session)
        admin = api.as_(api.login(*ADMIN))
        nyc, mia = admin.store("NYC"), admin.store("MIA")
        db = inventory.db_handle
        wait_for(lambda: db.scalar("select count(*) from stores where id in (:a, :b)",
                                   a=nyc["id"], b=mia["id"]) == 2, message="stores reach inventory")
        yield admin, nyc, mia


def test_receive_find_change_and_label_over_http(http):
    admin, nyc, mia = http
    body = piece(nyc["id"])
    created = admin.post("/items", body, headers={"Idempotency-Key": "recv-1"})
    assert created.status_code == 201, created.text
    item = created.json()
    replay = admin.post("/items", body, headers={"Idempotency-Key": "recv-1"})
    assert replay.status_code == 201 and replay.json()["id"] == item["id"]
    other = admin.post("/items", piece(nyc["id"]), headers={"Idempotency-Key": "recv-1"})
    assert other.status_code == 409
    assert admin.get(f"/items/by-tag/{item['tag']}").json()["id"] == item["id"]
    found = admin.get("/items", params={"store_id": nyc["id"], "karat": 18}).json()
    assert [i["id"] for i in found["items"]] == [item["id"]] and found["next_cursor"] is None
    changed = admin.patch(f"/items/{item['id']}", {"price": {"amount": 420000, "currency": "USD"}})
    assert changed.status_code == 200 and changed.json()["price_history"][0]["new"]["amount"] == 420000
    label = admin.get(f"/items/{item['id']}/label.pdf")
    assert label.status_code == 200 and label.headers["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF")


def test_a_receiving_batch_prints_its_labels_as_one_pdf_over_http(http):
    admin, nyc, mia = http
    first, second = (admin.post("/items", piece(nyc["id"])).json() for _ in range(2))
    batch = admin.get("/labels.pdf", params={"item_ids": f"{first['id']},{second['id']}"})
    assert batch.status_code == 200 and batch.headers["Content-Type"] == "application/pdf"
    texts = pdf_texts(batch.content)
    assert batch.content.count(b"/Type /Page\n") == 2
    assert texts.index(first["tag"]) < texts.index(second["tag"])
    assert admin.get("/labels.pdf", params={"item_ids": "not-an-id"}).status_code == 422
    assert admin.get("/labels.pdf").status_code == 422
    too_many = ",".join([first["id"]] * 101)
    assert admin.get("/labels.pdf", params={"item_ids": too_many}).status_code == 422
    # a piece of a store the caller may not see: 404, as for one label
    miami = admin.user("store_manager", [mia["id"]])
    assert miami.get("/labels.pdf", params={"item_ids": first["id"]}).status_code == 404


def test_tag_labels_print_as_zpl_for_a_tag_printer_over_http(http):
    """``/items/{id}/label.zpl`` and ``/labels.zpl``: one ZPL II label format
    per piece, in order, with the tag's Code 128 and the price in the store's
    locale; another store's piece is 404, bad ids 422."""
    admin, nyc, mia = http
    first, second = (admin.post("/items", piece(nyc["id"])).json() for _ in range(2))
    one = admin.get(f"/items/{first['id']}/label.zpl")
    assert one.status_code == 200, one.text
    assert one.headers["Content-Type"] == "application/vnd.zebra-zpl"
    text = one.content.decode()
    assert text.startswith("^XA\n^CI28\n") and text.count("^XA") == 1
    assert f"^BCN,64,N,N,N^FH_^FD{first['tag']}^FS" in text and "^FD$4,500.00^FS" in text
    assert "18K white gold 3.250 g" in text
    batch = admin.get("/labels.zpl", params={"item_ids": f"{second['id']},{first['id']}"})
    assert batch.status_code == 200 and batch.content.count(b"^XA") == 2
    assert batch.content.index(second["tag"].encode()) < batch.content.index(first["tag"].encode())
    assert admin.get("/labels.zpl", params={"item_ids": "not-an-id"}).status_code == 422
    miami = admin.user("store_manager", [mia["id"]])
    assert miami.get(f"/items/{first['id']}/label.zpl").status_code == 404
    assert miami.get("/labels.zpl", params={"item_ids": first["id"]}).status_code == 404


def test_roles_scope_and_problems_over_http(http):
    admin, nyc, mia = http
    item = admin.post("/items", piece(nyc["id"])).json()
    miami = admin.user("store_manager", [mia["id"]])
    associate = admin.user("sales_associate", [nyc["id"]])
    assert miami.get(f"/items/{item['id']}").status_code == 404
    assert associate.post("/items", piece(nyc["id"])).status_code == 403
    assert associate.patch(f"/items/{item['id']}", {"description": "x"}).status_code == 403
    bad = admin.post("/items", piece(nyc["id"], metal={"type": "gold", "karat": 30, "weight_g": "-1"}))
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"
    assert {"metal.karat", "metal.weight_g"} <= set(bad.json()["errors"])
    again = piece(nyc["id"])
    again["stones"] = item["stones"]
    taken = admin.post("/items", again)
    assert taken.status_code == 409 and taken.json()["status"] == 409
    hold = associate.post(f"/items/{item['id']}/reservations",
                          {"client_id": "c1000000-0000-4000-8000-000000000001", "hold_hours": 2})
    assert hold.status_code == 201 and hold.json()["status"] == "reserved"
    assert admin.get(f"/items/{item['id']}").json()["status"] == "reserved"
    assert associate.request("DELETE", f"/reservations/{hold.json()['id']}").status_code == 200
    assert admin.get(f"/items/{item['id']}").json()["status"] == "in_stock"


def test_count_transfer_memo_and_reports_over_http(http):
    admin, nyc, mia = http
    a = admin.post("/items", piece(nyc["id"])).json()
    b = admin.post("/items", piece(nyc["id"])).json()
    count = admin.post("/stock-counts", {"store_id": nyc["id"]}).json()
    admin.post(f"/stock-counts/{count['id']}/scans", {"tags": [a["tag"], "NOTATAG1"]})
    closed = admin.post(f"/stock-counts/{count['id']}/close", {}).json()
    assert (closed["matched"], closed["missing"], closed["unexpected"]) == (1, [b["tag"]], ["NOTATAG1"])
    transfer = admin.post("/transfers", {"item_ids": [b["id"]], "from_store_id": nyc["id"],
                                         "to_store_id": mia["id"]})
    assert transfer.status_code == 201
    assert admin.post(f"/transfers/{transfer.json()['id']}/receive").json()["status"] == "received"
    value = admin.get("/reports/stock-value", params={"store_id": mia["id"]}).json()
    assert value["stores"][0]["owned"]["count"] == 1
    assert admin.get("/reports/aging", params={"store_id": nyc["id"]}).status_code == 200
    assert admin.get("/memos", params={"overdue": "true"}).json()["items"] == []


def test_the_consoles_lists_and_a_vendors_edit_over_http(http):
    admin, nyc, mia = http
    a, b = (admin.post("/items", piece(nyc["id"])).json() for _ in range(2))
    associate = admin.user("sales_associate", [nyc["id"]])
    miami = admin.user("store_manager", [mia["id"]])
    client = "c1000000-0000-4000-8000-000000000001"
    hold = associate.post(f"/items/{a['id']}/reservations", {"client_id": client}).json()
    holds = associate.get("/holds").json()["items"]
    assert [(h["ref_id"], h["tag"]) for h in holds] == [(hold["id"], a["tag"])]
    assert miami.get("/holds", params={"store_id": nyc["id"]}).status_code == 403
    assert associate.get("/holds", params={"reason": "gift"}).status_code == 422
    shipped = admin.post("/transfers", {"item_ids": [b["id"]], "from_store_id": nyc["id"],
                                        "to_store_id": mia["id"]}).json()
    incoming = miami.get("/transfers", params={"direction": "in"}).json()
    assert [t["id"] for t in incoming["items"]] == [shipped["id"]] and incoming["next_cursor"] is None
    assert miami.get("/transfers", params={"direction": "out"}).json()["items"] == []
    count = associate.post("/stock-counts", {"store_id": nyc["id"]}).json()
    associate.post(f"/stock-counts/{count['id']}/scans", {"tags": ["NOTATAG1"]})
    open_ = associate.get("/stock-counts", params={"status": "open"}).json()["items"]
    assert [c["id"] for c in open_] == [count["id"]]
    now = associate.get(f"/stock-counts/{count['id']}").json()
    assert (now["missing"], now["unexpected"]) == ([a["tag"]], ["NOTATAG1"])
    assert miami.get(f"/stock-counts/{count['id']}").status_code == 404
    vendor = admin.post("/vendors", {"name": "Gem Co"}).json()
    assert associate.patch(f"/vendors/{vendor['id']}", {"name": "x"}).status_code == 403
    assert miami.patch(f"/vendors/{vendor['id']}", {}).status_code == 422
    changed = miami.patch(f"/vendors/{vendor['id']}", {"name": "Gem & Co", "contact": {"phone": "1"}})
    assert changed.status_code == 200 and changed.json()["name"] == "Gem & Co"
    trail = admin.get("/audit", params={"entity_id": vendor["id"]}).json()["items"]
    assert any(e["route"] == "/vendors/{id}" and e["method"] == "PATCH" for e in trail), trail
