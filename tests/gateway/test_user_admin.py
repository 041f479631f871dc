"""User administration (issue 17): list and search in scope, change role and
stores, deactivate and reactivate, HQ's password reset, a user's own password
change; each change ends the user's sessions and is audited without a password."""
import uuid

from .conftest import ADMIN, PASSWORD
from .test_stores_users import problem

NEW_PASSWORD = "a-brand-new-passphrase"


def epoch(db, user_id):
    return db.scalar("select session_epoch from users where id = :i", i=user_id)


def audit_of(db, user_id, route):
    return db.all("select status, detail, entity_id from audit_log where entity_id = :i and route = :r "
                  "order by id", i=user_id, r=route)


def nowhere_but_hashed(db, secret):
    """``secret`` is in no audit row and no stored Idempotency-Key answer."""
    like = f"%{secret}%"
    assert db.scalar("select count(*) from audit_log where concat_ws(' ', detail, path, "
                     "idempotency_key) like :s", s=like) == 0
    assert db.scalar("select count(*) from idempotency_keys where response::text like :s "
                     "or request_hash like :s", s=like) == 0
    assert db.scalar("select count(*) from users where password_hash like :s", s=like) == 0


def test_list_search_filters_paging_and_scope(admin, db):
    nyc, mia = admin.store("NYC"), admin.store("MIA")
    manager = admin.user("store_manager", [nyc["id"]], username="nyc.manager")
    admin.user("sales_associate", [nyc["id"]], username="nyc.seller")
    mia_seller = admin.user("sales_associate", [mia["id"]], username="mia.seller")
    auditor = admin.user("auditor", username="hq.auditor")
    associate = admin.user("sales_associate", [nyc["id"], mia["id"]], username="both.seller")

    def names(api, **params):
        reply = api.get("/users", params=params)
        assert reply.status_code == 200, reply.text
        return [u["username"] for u in reply.json()["items"]]

    everyone = ["both.seller", "hq.admin", "hq.auditor", "mia.seller", "nyc.manager", "nyc.seller"]
    assert names(admin, limit=200) == everyone and names(auditor) == everyone
    assert names(admin, q="SELLER") == ["both.seller", "mia.seller", "nyc.seller"]
    assert names(admin, q="%") == [] and names(admin, q="_") == []     # no wildcards
    assert names(admin, role="sales_associate", store_id=mia["id"]) == ["both.seller", "mia.seller"]
    assert names(manager) == ["both.seller", "nyc.manager", "nyc.seller"]
    assert names(manager, store_id=mia["id"]) == ["both.seller"]       # shared with their store only
    seen, cursor = [], None
    while True:
        body = admin.get("/users", params={"limit": 4, **({"cursor": cursor} if cursor else {})}).json()
        seen += [u["username"] for u in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == everyone
    one = admin.get(f"/users/{manager.id}").json()
    assert one["store_ids"] == [nyc["id"]] and one["must_change_password"] is False and one["active"]
    assert "password" not in one and "password_hash" not in one
    assert manager.get(f"/users/{mia_seller.id}").status_code == 404  # another store's user
    problem(manager.get(f"/users/{uuid.uuid4()}"), 404)
    assert manager.get(f"/users/{associate.id}").status_code == 200
    problem(associate.get("/users"), 403)
    problem(associate.get(f"/users/{associate.id}"), 403)
    assert set(problem(admin.get("/users", params={"role": "king", "active": "maybe"}),
                       422)["errors"]) == {"role", "active"}
    for cursor in ("bm9wZQ", "WyJ4IiwgInkiXQ", "WzFd"):
        assert set(problem(admin.get("/users", params={"cursor": cursor}), 422)["errors"]) == {"cursor"}
    admin.post(f"/users/{mia_seller.id}/deactivate")
    assert names(admin, active="false") == ["mia.seller"]
    assert "mia.seller" not in names(admin, active="true")


def test_change_role_and_stores_ends_sessions_and_is_audited(admin, db):
    nyc, mia = admin.store("NYC"), admin.store("MIA")
    seller = admin.user("sales_associate", [nyc["id"]])
    before = epoch(db, seller.id)
    changed = admin.patch(f"/users/{seller.id}", {"role": "store_manager",
                                                  "store_ids": [mia["id"], nyc["id"]]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "store_manager"
    assert sorted(changed.json()["store_ids"]) == sorted([nyc["id"], mia["id"]])
    assert epoch(db, seller.id) == before + 1
    me = admin.as_(admin.login(seller_name(db, seller.id), PASSWORD)).get("/me").json()
    assert me["role"] == "store_manager" and len(me["store_ids"]) == 2
    (status, detail, _), = audit_of(db, seller.id, "/users/{id}")
    assert status == 200 and "role sales_associate -> store_manager" in detail
    assert f"stores added {mia['id']}" in detail and "sessions ended" in detail

    unchanged = admin.patch(f"/users/{seller.id}", {"role": "store_manager"})
    assert unchanged.status_code == 200 and epoch(db, seller.id) == before + 1
    assert audit_of(db, seller.id, "/users/{id}")[-1].detail == "no change"
    assert set(problem(admin.patch(f"/users/{seller.id}", {"store_ids": []}), 422)["errors"]) == \
        {"store_ids"}
    assert set(problem(admin.patch(f"/users/{seller.id}", {"store_ids": [str(uuid.uuid4())]}),
                       422)["errors"]) == {"store_ids"}
    problem(admin.patch(f"/users/{seller.id}", {}), 422)
    problem(admin.patch(f"/users/{seller.id}", {"role": "king", "username": "x"}), 422)
    problem(admin.patch(f"/users/{uuid.uuid4()}", {"role": "auditor"}), 404)
    # the seller's token from before the change died with it
    assert "session has ended" in problem(seller.patch(f"/users/{seller.id}", {"role": "hq_admin"}),
                                          401)["detail"]
    assert db.scalar("select role from users where id = :i", i=seller.id) == "store_manager"
    # a chain-wide role needs no store
    assert admin.patch(f"/users/{seller.id}", {"role": "auditor", "store_ids": []}).json()["store_ids"] == []


def seller_name(db, user_id):
    return db.scalar("select username from users where id = :i", i=user_id)


def test_an_hq_admin_keeps_the_chain_administered(admin, db):
    body = problem(admin.patch(f"/users/{admin.id}", {"role": "auditor"}), 409)
    assert "yourself" in body["detail"]
    assert "yourself" in problem(admin.post(f"/users/{admin.id}/deactivate"), 409)["detail"]
    assert db.scalar("select role from users where id = :i", i=admin.id) == "hq_admin"
    assert db.scalar("select active from users where id = :i", i=admin.id)
    second = admin.user("hq_admin")
    demoted = second.patch(f"/users/{admin.id}", {"role": "auditor"})
    assert demoted.status_code == 200, demoted.text
    # the first admin is now an auditor; the second is the last active hq_admin
    assert problem(second.post(f"/users/{second.id}/deactivate"), 409)
    assert db.scalar("select count(*) from users where role = 'hq_admin' and active") == 1
    # changing your own stores is not a demotion
    store = second.store("NYC")
    assert second.patch(f"/users/{second.id}", {"store_ids": [store["id"]]}).status_code == 200


def test_deactivate_and_reactivate(admin, api, db):
    nyc = admin.store("NYC")
    seller = admin.user("sales_associate", [nyc["id"]])
    name, before = seller_name(db, seller.id), epoch(db, seller.id)
    off = admin.post(f"/users/{seller.id}/deactivate")
    assert off.status_code == 200 and off.json()["active"] is False
    assert epoch(db, seller.id) == before + 1
    problem(api.post("/auth/token", {"username": name, "password": PASSWORD}), 401)
    again = admin.post(f"/users/{seller.id}/deactivate")
    assert again.status_code == 200 and epoch(db, seller.id) == before + 1
    on = admin.post(f"/users/{seller.id}/reactivate")
    assert on.status_code == 200 and on.json()["active"] is True
    assert api.login(name, PASSWORD)
    details = [row.detail for row in audit_of(db, seller.id, "/users/{id}/deactivate")]
    assert details == ["deactivated; sessions ended", "already inactive"]
    assert audit_of(db, seller.id, "/users/{id}/reactivate")[0].detail == "reactivated"
    problem(admin.post(f"/users/{uuid.uuid4()}/deactivate"), 404)
    back = admin.as_(api.login(name, PASSWORD))      # the deactivation ended their sessions
    problem(back.post(f"/users/{seller.id}/deactivate"), 403)


def test_hq_resets_a_password_once_and_it_is_kept_nowhere(admin, api, db):
    nyc = admin.store("NYC")
    seller = admin.user("sales_associate", [nyc["id"]])
    name, before = seller_name(db, seller.id), epoch(db, seller.id)
    reply = admin.post(f"/users/{seller.id}/password-reset", headers={"Idempotency-Key": "reset-1"})
    assert reply.status_code == 200, reply.text
    temporary = reply.json()["temporary_password"]
    assert reply.json()["must_change_password"] is True and len(temporary) >= 12
    assert epoch(db, seller.id) == before + 1
    problem(api.post("/auth/token", {"username": name, "password": PASSWORD}), 401)
    assert api.login(name, temporary)
    assert admin.get(f"/users/{seller.id}").json()["must_change_password"] is True
    second = admin.post(f"/users/{seller.id}/password-reset", headers={"Idempotency-Key": "reset-1"})
    assert second.json()["temporary_password"] != temporary         # never replayed
    assert "Idempotent-Replayed" not in second.headers
    nowhere_but_hashed(db, temporary)
    nowhere_but_hashed(db, second.json()["temporary_password"])
    rows = audit_of(db, seller.id, "/users/{id}/password-reset")
    assert [r.status for r in rows] == [200, 200] and "temporary password" in rows[0].detail
    assert "own password" in problem(admin.post(f"/users/{admin.id}/password-reset"), 409)["detail"]
    problem(admin.post(f"/users/{uuid.uuid4()}/password-reset"), 404)
    limited = admin.as_(api.login(name, second.json()["temporary_password"]))  # must change it first
    assert problem(limited.post(f"/users/{admin.id}/password-reset"), 403)["title"] == \
        "Password change required"


def test_a_user_changes_their_own_password(admin, api, db):
    nyc = admin.store("NYC")
    seller = admin.user("sales_associate", [nyc["id"]])
    seller_id, name = seller.id, seller_name(db, seller.id)
    temporary = admin.post(f"/users/{seller_id}/password-reset").json()["temporary_password"]
    seller = api.as_(api.login(name, temporary))
    errors = problem(seller.post("/me/password", {"current_password": temporary,
                                                  "new_password": name + "-and-more"}), 422)["errors"]
    assert set(errors) == {"new_password"}
    errors = problem(seller.post("/me/password", {"current_password": temporary,
                                                  "new_password": temporary}), 422)["errors"]
    assert set(errors) == {"new_password"}
    problem(seller.post("/me/password", {"current_password": temporary}), 422)
    before = epoch(db, seller_id)
    done = seller.post("/me/password", {"current_password": temporary, "new_password": NEW_PASSWORD})
    assert done.status_code == 204 and not done.content
    row = db.all("select must_change_password, password_changed_at from users where id = :i",
                 i=seller_id)[0]
    assert row.must_change_password is False and row.password_changed_at is not None
    assert epoch(db, seller_id) == before + 1
    problem(api.post("/auth/token", {"username": name, "password": temporary}), 401)
    assert api.login(name, NEW_PASSWORD)
    (status, detail, entity), = [r for r in audit_of(db, seller_id, "/me/password") if r.status == 204]
    assert detail == "own password changed; sessions ended" and entity == seller_id
    for secret in (temporary, NEW_PASSWORD):
        nowhere_but_hashed(db, secret)


def test_a_wrong_current_password_counts_as_a_failed_sign_in(admin, api, db):
    nyc = admin.store("NYC")
    seller = admin.user("sales_associate", [nyc["id"]])
    name = seller_name(db, seller.id)
    for attempt in range(5):
        body = problem(seller.post("/me/password", {"current_password": f"guess-{attempt}-xxxxxx",
                                                    "new_password": NEW_PASSWORD}), 422)
        assert set(body["errors"]) == {"current_password"}
    assert db.scalar("select failures from signin_failures where key = :k", k=f"user:{name}") == 5
    locked = seller.post("/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert api.post("/auth/token", {"username": name, "password": PASSWORD}).status_code == 429
    nowhere_but_hashed(db, "guess-0-xxxxxx")
    assert db.scalar("select count(*) from users where username = :u", u=ADMIN[0]) == 1


def test_an_auditor_changes_their_own_password_and_nothing_else(admin, api, db):
    auditor = admin.user("auditor")
    name = seller_name(db, auditor.id)
    done = auditor.post("/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert done.status_code == 204, done.text
    assert api.login(name, NEW_PASSWORD)
    again = admin.as_(api.login(name, NEW_PASSWORD))     # the change ended their sessions
    problem(again.post(f"/users/{admin.id}/password-reset"), 403)
    problem(again.patch(f"/users/{auditor.id}", {"role": "hq_admin"}), 403)
    assert db.scalar("select role from users where id = :i", i=auditor.id) == "auditor"
