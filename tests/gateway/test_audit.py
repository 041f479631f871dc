"""Every mutating request leaves an audit row, failures included."""
from datetime import datetime, timedelta, timezone

from .conftest import store_body, token


def rows(db):
    return db.all("select actor_id, actor_username, actor_role, store_id, method, route, path, "
                  "entity_id, status, request_id from audit_log order by id")


def test_audit_rows_for_success_and_failure(admin, api, db):
    before = len(rows(db))  # the admin's own sign-in
    store = admin.post("/stores", store_body("NYC"), headers={"X-Request-ID": "req-create-nyc"})
    assert store.status_code == 201 and store.headers["X-Request-ID"] == "req-create-nyc"
    store = store.json()
    associate = admin.user("sales_associate", [store["id"]])
    assert admin.post("/stores", store_body("NYC", tax_rate_bps=-5)).status_code == 422
    assert associate.post("/stores", store_body("MIA")).status_code == 403
    assert admin.patch(f"/stores/{store['id']}", {"name": "Fifth Avenue"}).status_code == 200
    assert api.post("/stores", store_body("EVIL"), headers={
        "Authorization": "Bearer " + token(aud="elsewhere")}).status_code == 401
    assert api.post("/auth/token", {"username": "hq.admin", "password": "guess-guess"}).status_code == 401
    assert admin.post("/stores", data=b"x" * 2_000_000).status_code == 413
    assert admin.get("/stores").status_code == 200  # reads are not audited

    new = rows(db)[before:]
    got = [(r.method, r.route, r.status, r.actor_username) for r in new]
    assert got == [
        ("POST", "/stores", 201, "hq.admin"),
        ("POST", "/users", 201, "hq.admin"),
        ("POST", "/auth/token", 200, associate_name(db, associate)),
        ("POST", "/stores", 422, "hq.admin"),
        ("POST", "/stores", 403, associate_name(db, associate)),
        ("PATCH", "/stores/{id}", 200, "hq.admin"),
        ("POST", "/stores", 401, None),
        ("POST", "/auth/token", 401, "hq.admin"),
        ("POST", "/stores", 413, "hq.admin"),
    ], got
    create, patch = new[0], new[5]
    assert create.entity_id == store["id"] and create.store_id == store["id"]
    assert create.actor_id == admin.id and create.actor_role == "hq_admin"
    assert create.request_id == "req-create-nyc"
    assert patch.entity_id == store["id"] and patch.path == f"/stores/{store['id']}"
    assert new[4].actor_id == associate.id and new[4].store_id == store["id"]  # acting store
    assert new[6].actor_id is None and new[7].actor_id is None
    assert all(r.request_id for r in new)


def associate_name(db, client):
    return db.scalar("select username from users where id = :i", i=client.id)


def test_get_audit_filters_and_pages_newest_first(admin, db):
    stores = [admin.post("/stores", store_body(code)).json() for code in ("NYC", "MIA", "LON")]
    auditor = admin.user("auditor")
    assert admin.patch(f"/stores/{stores[0]['id']}", {"name": "Renamed"}).status_code == 200
    assert auditor.patch(f"/stores/{stores[0]['id']}", {"name": "Nope"}).status_code == 403

    everything, cursor, pages = [], None, 0
    while True:
        reply = auditor.get("/audit", params={"limit": 3, **({"cursor": cursor} if cursor else {})})
        assert reply.status_code == 200, reply.text
        everything += reply.json()["items"]
        pages += 1
        cursor = reply.json()["next_cursor"]
        if not cursor:
            break
    total = db.scalar("select count(*) from audit_log")
    assert len(everything) == total and pages == -(-total // 3)
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)

    about = auditor.get("/audit", params={"entity_id": stores[0]["id"]}).json()["items"]
    assert [(e["method"], e["status"], e["actor_username"]) for e in about] == [
        ("PATCH", 403, db.scalar("select username from users where id = :i", i=auditor.id)),
        ("PATCH", 200, "hq.admin"),
        ("POST", 201, "hq.admin")]
    by_auditor = auditor.get("/audit", params={"actor_id": auditor.id}).json()["items"]
    assert [(e["route"], e["status"]) for e in by_auditor] == [("/stores/{id}", 403), ("/auth/token", 200)]
    future = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    assert auditor.get("/audit", params={"since": future}).json()["items"] == []
    past = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
    assert len(auditor.get("/audit", params={"since": past, "limit": 200}).json()["items"]) == total
    bad = auditor.get("/audit", params={"since": "yesterday", "store_id": "x"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"since", "store_id"}
