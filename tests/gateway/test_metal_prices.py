"""GET /metal-prices over HTTP: the spot price in force for each metal and
currency (the last one set), for HQ's admin screen beside POST; a store's staff
get 403 (a manager's price reprices only their own stores)."""
from tests.conftest import wait_for


def test_the_last_price_set_per_metal_and_currency_is_listed(inventory, admin):
    nyc = admin.store("NYC")
    wait_for(lambda: inventory.db_handle.scalar("select count(*) from stores") == 1, message="the store")
    for metal, amount, currency in (("gold", 6000, "USD"), ("gold", 6150, "USD"),
                                    ("gold", 4900, "GBP"), ("platinum", 3100, "USD")):
        reply = admin.post("/metal-prices", {"metal": metal,
                                             "price_per_gram": {"amount": amount, "currency": currency}})
        assert reply.status_code == 201, reply.text
    associate = admin.user("sales_associate", [nyc["id"]])
    assert associate.get("/metal-prices").status_code == 403   # another store's price is not theirs
    auditor = admin.user("auditor", [])
    reply = auditor.get("/metal-prices")
    assert reply.status_code == 200, reply.text
    listed = [(p["metal"], p["price_per_gram"]["amount"], p["price_per_gram"]["currency"], p["set_by"])
              for p in reply.json()["items"]]
    assert listed == [("gold", 4900, "GBP", admin.id), ("gold", 6150, "USD", admin.id),
                      ("platinum", 3100, "USD", admin.id)]
    assert all(p["set_at"] for p in reply.json()["items"])
    assert reply.json()["next_cursor"] is None


def test_the_list_needs_a_session(api):
    assert api.get("/metal-prices").status_code == 401
