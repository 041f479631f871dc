"""Idempotency keys are scoped to the caller: the user AND the store the
request acts for (issue 17). A repeat by the same user for the same store
with the same key and body replays; the same key for another store is a
new request, neither refused (409) nor answered with the first store's
answer."""
import pytest

from chassis.errors import Conflict
from gateway import idempotency
from tests.conftest import wait_for

from .conftest import piece


def test_the_same_key_for_two_stores_is_two_requests_over_http(admin, inventory):
    nyc, mia = admin.store("NYC")["id"], admin.store("MIA")["id"]
    wait_for(lambda: inventory.db_handle.scalar("select count(*) from stores") == 2,
             message="stores known to inventory")
    manager = admin.user("store_manager", [nyc, mia])
    at_nyc, at_mia = piece(nyc), piece(mia)
    key = "receive-1"
    first = manager.post("/items", at_nyc, headers={"Idempotency-Key": key, "X-Store-Id": nyc})
    assert first.status_code == 201, first.text
    other = manager.post("/items", at_mia, headers={"Idempotency-Key": key, "X-Store-Id": mia})
    assert other.status_code == 201, other.text
    assert other.json()["id"] != first.json()["id"] and other.json()["store_id"] == mia
    assert "Idempotent-Replayed" not in other.headers
    again = manager.post("/items", at_nyc, headers={"Idempotency-Key": key, "X-Store-Id": nyc})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert inventory.db_handle.scalar("select count(*) from items") == 2


def _claim(db, store_id, body, key="k-1", user="u-1"):
    with db.engine.begin() as conn:
        return idempotency.claim(conn, user, key, "POST", "/sales", "/sales", body,
                                 secret="test-secret", store_id=store_id)


def _complete(db, claim, status, body):
    with db.engine.begin() as conn:
        idempotency.complete(conn, claim, status, body)


def test_claims_are_per_user_store_and_key(db):
    a, b = "0a000000-0000-4000-8000-00000000000a", "0b000000-0000-4000-8000-00000000000b"
    body = {"lines": [1]}
    first = _claim(db, a, body)
    assert not first.replay and first.store_id == a
    _complete(db, first, 201, {"id": "sale-a"})
    # same user, same key and body, acting for another store (or none): new requests
    at_b = _claim(db, b, body)
    assert not at_b.replay
    assert not _claim(db, None, body).replay
    # the other store's claim is still running: only it is "in progress"
    with pytest.raises(Conflict):
        _claim(db, b, body)
    _complete(db, at_b, 201, {"id": "sale-b"})
    replay_a, replay_b = _claim(db, a, body), _claim(db, b, body)
    assert (replay_a.replay_status, replay_a.replay_body) == (201, {"id": "sale-a"})
    assert (replay_b.replay_status, replay_b.replay_body) == (201, {"id": "sale-b"})
    with pytest.raises(Conflict):          # same store, other body: still refused
        _claim(db, a, {"lines": [2]})
    # a 5xx releases only that store's key
    failed = _claim(db, a, body, key="k-2")
    _claim(db, b, body, key="k-2")
    _complete(db, failed, 503, {})
    assert db.scalar("select count(*) from idempotency_keys where key = 'k-2'") == 1
    assert db.scalar("select store_id from idempotency_keys where key = 'k-2'") == b


def test_a_sale_still_in_flight_passes_through_and_its_202_is_never_replayed(db):
    """``POST /sales`` (a route that answers 202 for work in flight): a retry
    while the first request runs goes through to payments, which dedups by the
    key itself; a 202 releases the key like a 5xx, so the next retry asks again."""
    store, body = "0a000000-0000-4000-8000-00000000000a", {"lines": [2]}
    first = _claim(db, store, body, key="k-202")
    with db.engine.begin() as conn:
        through = idempotency.claim(conn, "u-1", "k-202", "POST", "/sales", "/sales", body,
                                    secret="test-secret", store_id=store, pass_through=True)
    assert not through.owned and not through.replay
    _complete(db, through, 202, {"status": "pending"})          # stores nothing
    with pytest.raises(Conflict):                                # a route without 202: still 409
        _claim(db, store, body, key="k-202")
    _complete(db, first, 202, {"status": "pending"})            # the first answer: in flight
    again = _claim(db, store, body, key="k-202")
    assert not again.replay and again.owned                      # claimed afresh, not replayed
    _complete(db, again, 201, {"id": "sale-1"})
    assert _claim(db, store, body, key="k-202").replay_status == 201
