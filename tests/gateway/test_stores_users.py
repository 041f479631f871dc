"""Users and stores: validation field by field, uniqueness, events to the
services, scope, pagination and Idempotency-Key."""
import uuid

from .conftest import piece, store_body, wait_for


def problem(reply, status):
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"] == "application/problem+json"
    body = reply.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_store_validation_field_by_field_creates_nothing(admin, db):
    cases = [
        (store_body(code="x", currency="usd1", timezone="Mars/Olympus", tax_rate_bps=10001),
         {"code", "currency", "timezone", "tax_rate_bps"}),
        (store_body(currency="XYZ", country="ZZ", tax_rate_bps=-1), {"currency", "country", "tax_rate_bps"}),
        (store_body(tax_rate_bps=8.87, phone="call me"), {"tax_rate_bps", "phone"}),
        ({"code": "NYC"}, {"name", "currency", "timezone", "tax_rate_bps"}),
        (store_body(colour="gold"), {"colour"}),
        ([store_body()], {"_schema"}),
    ]
    for body, fields in cases:
        errors = problem(admin.post("/stores", body), 422)["errors"]
        assert set(errors) == fields, (body, errors)
        assert all(isinstance(m, list) and m for m in errors.values())
    assert problem(admin.post("/stores", data=b"{not json",
                              headers={"Content-Type": "application/json"}), 400)
    assert db.scalar("select count(*) from stores") == 0
    assert db.scalar("select count(*) from outbox") == 0
    created = admin.post("/stores", store_body("nyc", currency="usd", country="us", phone="+1 212 555 0100"))
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("code", "currency", "country", "phone")} == {
        "code": "NYC", "currency": "USD", "country": "US", "phone": "+1 212 555 0100"}
    assert "code" in problem(admin.post("/stores", store_body("NYC", name="Again")), 409)["detail"]
    assert db.scalar("select count(*) from stores") == 1


def test_user_validation_uniqueness_and_store_scope(admin, db):
    store = admin.store("NYC")
    cases = [
        ({"username": "a b", "password": "short", "role": "king"}, {"username", "password", "role"}),
        ({"username": "clerk", "password": "long-enough-1", "role": "sales_associate"}, {"store_ids"}),
        ({"username": "clerk", "password": "long-enough-1", "role": "store_manager",
          "store_ids": ["not-a-uuid"]}, {"store_ids.0"}),
        ({"username": "clerk", "password": "long-enough-1", "role": "store_manager",
          "store_ids": [str(uuid.uuid4())]}, {"store_ids"}),
    ]
    for body, fields in cases:
        errors = problem(admin.post("/users", body), 422)["errors"]
        assert set(errors) == fields, (body, errors)
    assert db.scalar("select count(*) from users") == 1
    manager = admin.post("/users", {"username": "Mia.Manager", "password": "long-enough-1",
                                    "role": "store_manager", "store_ids": [store["id"]]})
    assert manager.status_code == 201
    assert manager.json()["store_ids"] == [store["id"]] and "password" not in manager.json()
    problem(admin.post("/users", {"username": "mia.manager", "password": "long-enough-2",
                                  "role": "auditor"}), 409)
    assert db.scalar("select count(*) from users") == 2
    assert db.scalar("select password_hash from users where username = 'Mia.Manager'").startswith("$argon2id$")
    me = admin.as_(admin.login("mia.manager", "long-enough-1")).get("/me").json()
    assert me["role"] == "store_manager" and me["store_ids"] == [store["id"]]


def test_store_events_reach_inventory_and_items_work_end_to_end(inventory, admin, db):
    inv = inventory.db_handle
    nyc = admin.store("NYC")
    mia = admin.store("MIA")
    rows = db.all("select event_type, envelope from outbox order by id")
    assert [r.event_type for r in rows] == ["store.created", "store.created"]
    assert rows[0].envelope["store_id"] == nyc["id"] and rows[0].envelope["actor_id"] == admin.id
    wait_for(lambda: inv.scalar("select count(*) from stores") == 2, message="stores in inventory")

    manager = admin.user("store_manager", [nyc["id"]])
    other = admin.user("store_manager", [mia["id"]])
    associate = admin.user("sales_associate", [nyc["id"]])
    created = manager.post("/items", piece(nyc["id"]))
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["status"] == "in_stock" and item["store_id"] == nyc["id"] and item["tag"]
    got = associate.get(f"/items/{item['id']}")
    assert got.status_code == 200 and got.json()["id"] == item["id"]
    assert got.json()["history"][0]["actor_id"] == manager.id  # identity reached the service
    assert associate.get(f"/items/by-tag/{item['tag']}").json()["id"] == item["id"]
    problem(other.get(f"/items/{item['id']}"), 404)
    problem(other.get(f"/items/by-tag/{item['tag']}"), 404)
    problem(admin.get(f"/items/{uuid.uuid4()}"), 404)
    problem(admin.get("/items/not-a-uuid"), 404)
    problem(associate.post("/items", piece(nyc["id"])), 403)           # role
    problem(other.post("/items", piece(nyc["id"])), 403)               # another store: the service says so
    errors = problem(manager.post("/items", piece(nyc["id"], category="tiara",
                                                  price={"amount": -1, "currency": "USD"})), 422)["errors"]
    assert set(errors) == {"category", "price.amount"}
    assert inv.scalar("select count(*) from items") == 1

    renamed = admin.patch(f"/stores/{nyc['id']}", {"name": "Fifth Avenue", "tax_rate_bps": 450})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Fifth Avenue"
    assert db.scalar("select count(*) from outbox where event_type = 'store.updated'") == 1
    wait_for(lambda: inv.scalar("select name from stores where id = :i", i=nyc["id"]) == "Fifth Avenue",
             message="store.updated applied")
    problem(admin.patch(f"/stores/{nyc['id']}", {"currency": "EUR"}), 422)
    problem(admin.patch(f"/stores/{nyc['id']}", {}), 422)
    problem(admin.patch(f"/stores/{nyc['id']}", {"code": "MIA"}), 409)
    problem(admin.patch(f"/stores/{uuid.uuid4()}", {"name": "Nowhere"}), 404)


def test_list_stores_scope_and_pagination(admin, db):
    stores = [admin.store(code) for code in ("LON", "NYC", "MIA", "PAR", "DXB")]
    manager = admin.user("store_manager", [stores[1]["id"], stores[3]["id"]])
    seen, cursor, pages = [], None, 0
    while True:
        reply = admin.get("/stores", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert len(body["items"]) <= 2
        seen += [s["code"] for s in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == ["DXB", "LON", "MIA", "NYC", "PAR"]
    assert [s["code"] for s in manager.get("/stores").json()["items"]] == ["NYC", "PAR"]
    assert admin.get("/stores").json()["next_cursor"] is None
    assert set(problem(admin.get("/stores", params={"limit": 201, "cursor": "@@"}), 422)["errors"]) == {"limit"}
    assert set(problem(admin.get("/stores", params={"cursor": "bm9wZQ"}), 422)["errors"]) == {"cursor"}
    assert set(problem(admin.get("/stores", params={"colour": "x"}), 422)["errors"]) == {"colour"}


def test_idempotency_key_replays_the_first_answer(admin, db):
    key = {"Idempotency-Key": "create-nyc-1"}
    first = admin.post("/stores", store_body("NYC"), headers=key)
    assert first.status_code == 201
    again = admin.post("/stores", store_body("NYC"), headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.scalar("select count(*) from stores") == 1
    assert db.scalar("select count(*) from outbox") == 1
    other = admin.post("/stores", store_body("MIA"), headers=key)
    assert problem(other, 409)["detail"] == "this Idempotency-Key was used for another request"
    assert db.scalar("select count(*) from stores") == 1
    # without a key, or with a fresh one, the same body is a new request (409: code taken)
    problem(admin.post("/stores", store_body("NYC")), 409)
    problem(admin.post("/stores", store_body("NYC"), headers={"Idempotency-Key": "create-nyc-2"}), 409)
    # and that refusal is itself replayed for its key
    problem(admin.post("/stores", store_body("NYC"), headers={"Idempotency-Key": "create-nyc-2"}), 409)
    # keys belong to their caller
    second_admin = admin.user("hq_admin")
    mine = second_admin.post("/stores", store_body("LON"), headers=key)
    assert mine.status_code == 201 and mine.json()["code"] == "LON"
    # invalid input does not use the key up
    problem(admin.post("/stores", store_body("PAR", currency="EURO"), headers={"Idempotency-Key": "par"}), 422)
    assert admin.post("/stores", store_body("PAR"), headers={"Idempotency-Key": "par"}).status_code == 201
    problem(admin.post("/stores", store_body("ROM"), headers={"Idempotency-Key": "x" * 256}), 422)
    assert db.scalar("select count(*) from stores") == 3
